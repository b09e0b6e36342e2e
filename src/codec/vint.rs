//! Cassandra's variable-length integers (used by duration and by vectors of variable-size
//! elements): the count of leading 1 bits of the first byte is the number of extra bytes.

/// Appends `value` as an unsigned vint (1 to 9 bytes).
pub(crate) fn write_unsigned(value: u64, out: &mut Vec<u8>) {
    let magnitude = (value | 1).leading_zeros() as usize;
    let size = (639 - magnitude * 9) >> 6; // Cassandra's VIntCoding.computeUnsignedVIntSize
    if size == 9 {
        out.push(0xFF);
        out.extend_from_slice(&value.to_be_bytes());
        return;
    }
    let extra = size - 1;
    let bytes = value.to_be_bytes();
    let start = out.len();
    out.extend_from_slice(&bytes[8 - size..]);
    // Top `extra` bits of the first byte count the extra bytes; the value leaves them free.
    out[start] |= !(0xFFu8 >> extra);
}

/// Appends `value` as a signed (zig-zag) vint.
pub(crate) fn write_signed(value: i64, out: &mut Vec<u8>) {
    write_unsigned(((value << 1) ^ (value >> 63)) as u64, out);
}

/// Reads an unsigned vint from the front of `bytes`, advancing it; `None` if truncated.
pub(crate) fn read_unsigned(bytes: &mut &[u8]) -> Option<u64> {
    let (&first, rest) = bytes.split_first()?;
    let extra = first.leading_ones() as usize;
    if rest.len() < extra {
        return None;
    }
    let mut value = if extra == 8 {
        0
    } else {
        u64::from(first & (0xFFu8 >> extra))
    };
    for &byte in &rest[..extra] {
        value = (value << 8) | u64::from(byte);
    }
    *bytes = &rest[extra..];
    Some(value)
}

/// Reads a signed (zig-zag) vint.
pub(crate) fn read_signed(bytes: &mut &[u8]) -> Option<i64> {
    let raw = read_unsigned(bytes)?;
    Some(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings_match_cassandra() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (63, &[0x7E]),
            (-64, &[0x7F]),
            (64, &[0x80, 0x80]),
            (
                i64::MAX,
                &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE],
            ),
            (
                i64::MIN,
                &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            ),
        ];
        for (value, expected) in cases {
            let mut out = Vec::new();
            write_signed(*value, &mut out);
            assert_eq!(&out, expected, "encoding {value}");
        }
    }

    #[test]
    fn signed_round_trip_across_every_size() {
        let mut samples = vec![0i64, 1, -1, i64::MAX, i64::MIN];
        for shift in 0..63 {
            let v = 1i64 << shift;
            samples.extend([v - 1, v, v + 1, -v, -v - 1]);
        }
        for value in samples {
            let mut out = Vec::new();
            write_signed(value, &mut out);
            let mut slice = out.as_slice();
            assert_eq!(read_signed(&mut slice), Some(value));
            assert!(slice.is_empty(), "{value} left bytes behind");
        }
    }

    #[test]
    fn truncated_input_is_none() {
        let mut slice: &[u8] = &[0xC0, 0x01];
        assert_eq!(read_unsigned(&mut slice), None);
        let mut empty: &[u8] = &[];
        assert_eq!(read_unsigned(&mut empty), None);
    }
}
