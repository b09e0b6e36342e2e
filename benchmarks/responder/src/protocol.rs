//! Just enough of the CQL native protocol (v3 to v5) to split a byte stream into frames,
//! read an EXECUTE request's statement id, and speak v5 "segment" framing.
//!
//! Frame header (v3+), 9 bytes: version (u8, 0x80 bit set on responses), flags (u8),
//! stream (i16 BE), opcode (u8), body length (u32 BE).
//!
//! v5 segments (native_protocol_v5.spec, section 2): once the server has answered STARTUP with
//! READY or AUTHENTICATE, both directions carry frames inside segments. An uncompressed segment
//! is a 3-byte little-endian header (payload length in bits 0..17, self-contained flag in bit
//! 17), a 3-byte little-endian CRC24 of that header, the payload (at most 128 KiB - 1 bytes) and
//! a 4-byte little-endian CRC32 of the payload. A self-contained segment holds whole frames; a
//! frame larger than one segment is carried by consecutive non-self-contained segments.

use std::io;

pub const HEADER_LEN: usize = 9;
/// The spec's limit for a frame body.
pub const MAX_BODY_LEN: usize = 256 * 1024 * 1024;

pub const FLAG_COMPRESSION: u8 = 0x01;
pub const FLAG_TRACING: u8 = 0x02;
pub const VERSION_RESPONSE: u8 = 0x80;

pub const OP_STARTUP: u8 = 0x01;
pub const OP_READY: u8 = 0x02;
pub const OP_AUTHENTICATE: u8 = 0x03;
pub const OP_RESULT: u8 = 0x08;
pub const OP_EXECUTE: u8 = 0x0A;

/// Query-parameter flags of an EXECUTE body.
pub const QUERY_SKIP_METADATA: u32 = 0x02;
pub const QUERY_WITH_PAGING_STATE: u32 = 0x08;

pub const SEGMENT_HEADER_LEN: usize = 6;
pub const SEGMENT_TRAILER_LEN: usize = 4;
pub const SEGMENT_MAX_PAYLOAD: usize = (1 << 17) - 1;
const SEGMENT_SELF_CONTAINED: u32 = 1 << 17;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    pub body_len: usize,
}

impl Header {
    /// The protocol version without the response bit.
    pub fn protocol(&self) -> u8 {
        self.version & !VERSION_RESPONSE
    }

    pub fn frame_len(&self) -> usize {
        HEADER_LEN + self.body_len
    }
}

pub fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Whether frames of this version byte have the 9-byte v3+ header this module parses
/// (v3 to v6-beta); v1/v2 and DSE versions (0x41, 0x42) do not.
pub fn known_version(version: u8) -> bool {
    (3..=6).contains(&(version & !VERSION_RESPONSE))
}

/// The header of the frame at the start of `buf`, if all 9 header bytes are there.
pub fn parse_header(buf: &[u8]) -> io::Result<Option<Header>> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let header = Header {
        version: buf[0],
        flags: buf[1],
        stream: i16::from_be_bytes([buf[2], buf[3]]),
        opcode: buf[4],
        body_len: u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) as usize,
    };
    if !known_version(header.version) {
        return Err(invalid(format!(
            "unsupported protocol version byte 0x{:02x} (only v3+ frame headers are understood)",
            header.version
        )));
    }
    if header.body_len > MAX_BODY_LEN {
        return Err(invalid(format!(
            "frame body of {} bytes is too large",
            header.body_len
        )));
    }
    Ok(Some(header))
}

/// The header of the complete frame at the start of `buf`, or None if more bytes are needed.
pub fn complete_frame(buf: &[u8]) -> io::Result<Option<Header>> {
    match parse_header(buf)? {
        Some(header) if buf.len() >= header.frame_len() => Ok(Some(header)),
        _ => Ok(None),
    }
}

/// Appends a 9-byte frame header.
pub fn write_header(out: &mut Vec<u8>, header: &Header) {
    out.push(header.version);
    out.push(header.flags);
    out.extend_from_slice(&header.stream.to_be_bytes());
    out.push(header.opcode);
    out.extend_from_slice(&(header.body_len as u32).to_be_bytes());
}

fn short_bytes(body: &[u8], at: usize) -> Option<&[u8]> {
    let len = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
    body.get(at + 2..at + 2 + len)
}

/// What the recording of an EXECUTE is keyed by, and whether it may be answered from one.
#[derive(Debug, PartialEq, Eq)]
pub enum ExecuteKey {
    /// Appended to the key buffer: protocol version, skip-metadata bit, the prepared id (and in
    /// v5 the result metadata id); requests with equal keys get byte-identical answers.
    Cacheable,
    /// Tracing or a paging state: always forwarded, never recorded.
    Uncacheable,
}

/// Builds the recording key of an EXECUTE request into `key` (cleared first).
///
/// v4 body: `<id><consistency:short><flags:byte>...`;
/// v5 body: `<id><result_metadata_id><consistency:short><flags:int>...`.
pub fn execute_key(header: &Header, body: &[u8], key: &mut Vec<u8>) -> ExecuteKey {
    key.clear();
    if header.flags & FLAG_TRACING != 0 {
        return ExecuteKey::Uncacheable;
    }
    let protocol = header.protocol();
    let Some(id) = short_bytes(body, 0) else {
        return ExecuteKey::Uncacheable;
    };
    let mut at = 2 + id.len();
    let metadata_id = if protocol >= 5 {
        let Some(metadata_id) = short_bytes(body, at) else {
            return ExecuteKey::Uncacheable;
        };
        at += 2 + metadata_id.len();
        metadata_id
    } else {
        &[]
    };
    at += 2; // consistency
    let flags = if protocol >= 5 {
        match body.get(at..at + 4) {
            Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            None => return ExecuteKey::Uncacheable,
        }
    } else {
        match body.get(at) {
            Some(&b) => u32::from(b),
            None => return ExecuteKey::Uncacheable,
        }
    };
    if flags & QUERY_WITH_PAGING_STATE != 0 {
        return ExecuteKey::Uncacheable;
    }
    key.push(protocol);
    key.push(u8::from(flags & QUERY_SKIP_METADATA != 0));
    key.extend_from_slice(&(id.len() as u16).to_be_bytes());
    key.extend_from_slice(id);
    key.extend_from_slice(metadata_id);
    ExecuteKey::Cacheable
}

// ---------------------------------------------------------------------------------------------
// v5 segments
// ---------------------------------------------------------------------------------------------

const CRC24_INIT: u32 = 0x87_5060;
const CRC24_POLY: u32 = 0x197_4F0B;
/// Cassandra's Crc.initialBytes: fed to CRC32 before every segment payload.
const CRC32_INITIAL_BYTES: [u8; 4] = [0xFA, 0x2D, 0x55, 0xCA];

/// Cassandra's `Crc.crc24(long bytes, int len)`: the low `len` bytes of `bytes`, least
/// significant first (the order they have on the wire), through the 0x1974F0B polynomial.
pub fn crc24(mut bytes: u64, len: usize) -> u32 {
    let mut crc = CRC24_INIT;
    for _ in 0..len {
        crc ^= ((bytes & 0xff) as u32) << 16;
        bytes >>= 8;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= CRC24_POLY;
            }
        }
    }
    crc
}

/// CRC32 (zlib's) of a segment payload, seeded with Cassandra's four initial bytes.
pub fn crc32(payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&CRC32_INITIAL_BYTES);
    hasher.update(payload);
    hasher.finalize()
}

fn read_u24_le(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

fn push_u24_le(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes()[..3]);
}

/// Decodes the complete segments at the start of `input`, appending their payloads to `frames`
/// (the frame byte stream they carry). Returns how many bytes of `input` were consumed.
pub fn decode_segments(input: &[u8], frames: &mut Vec<u8>) -> io::Result<usize> {
    let mut pos = 0;
    while input.len() - pos >= SEGMENT_HEADER_LEN {
        let header = read_u24_le(&input[pos..]);
        let header_crc = read_u24_le(&input[pos + 3..]);
        let computed = crc24(u64::from(header), 3);
        if header_crc != computed {
            return Err(invalid(format!(
                "segment header CRC24 mismatch (header {header:06x}, read {header_crc:06x}, \
                 computed {computed:06x}); a compressed v5 connection is not supported"
            )));
        }
        let payload_len = (header & SEGMENT_MAX_PAYLOAD as u32) as usize;
        let total = SEGMENT_HEADER_LEN + payload_len + SEGMENT_TRAILER_LEN;
        if input.len() - pos < total {
            break;
        }
        let payload = &input[pos + SEGMENT_HEADER_LEN..pos + SEGMENT_HEADER_LEN + payload_len];
        let trailer = &input[pos + SEGMENT_HEADER_LEN + payload_len..pos + total];
        let payload_crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let computed = crc32(payload);
        if payload_crc != computed {
            return Err(invalid(format!(
                "segment payload CRC32 mismatch (read {payload_crc:08x}, computed {computed:08x})"
            )));
        }
        frames.extend_from_slice(payload);
        pos += total;
    }
    Ok(pos)
}

fn write_segment(out: &mut Vec<u8>, payload: &[u8], self_contained: bool) {
    debug_assert!(payload.len() <= SEGMENT_MAX_PAYLOAD);
    let mut header = payload.len() as u32;
    if self_contained {
        header |= SEGMENT_SELF_CONTAINED;
    }
    out.reserve(SEGMENT_HEADER_LEN + payload.len() + SEGMENT_TRAILER_LEN);
    push_u24_le(out, header);
    push_u24_le(out, crc24(u64::from(header), 3));
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32(payload).to_le_bytes());
}

/// Wraps `frames` (whole frames, back to back) into segments appended to `out`: consecutive
/// frames share a self-contained segment up to the size limit; a frame larger than a segment is
/// split over non-self-contained segments.
pub fn encode_segments(frames: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let mut start = 0;
    let mut pos = 0;
    while pos < frames.len() {
        let Some(header) = complete_frame(&frames[pos..])? else {
            return Err(invalid(
                "incomplete frame given to the segment encoder".into(),
            ));
        };
        let len = header.frame_len();
        if len > SEGMENT_MAX_PAYLOAD {
            if pos > start {
                write_segment(out, &frames[start..pos], true);
            }
            for chunk in frames[pos..pos + len].chunks(SEGMENT_MAX_PAYLOAD) {
                write_segment(out, chunk, false);
            }
            pos += len;
            start = pos;
            continue;
        }
        if pos + len - start > SEGMENT_MAX_PAYLOAD {
            write_segment(out, &frames[start..pos], true);
            start = pos;
        }
        pos += len;
    }
    if pos > start {
        write_segment(out, &frames[start..pos], true);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// A SUPPORTED response captured from Cassandra 5.0 on a v5 connection, in one segment.
    const NODE_SEGMENT: &str = "6f00020a9b448500000106000000660003001150524f544f434f4c5f56455253494f\
        4e5300040004332f76330004342f76340004352f76350009362f76362d62657461000b434f4d5052455353494f4e\
        00020006736e6170707900036c7a34000b43514c5f56455253494f4e00010005332e342e37c8e36832";
    /// An OPTIONS request segment made by the DataStax Python driver (accepted by the node).
    const DRIVER_SEGMENT: &str = "090002a4c8c1050000010500000000b5557486";

    #[test]
    fn decodes_real_segments() {
        for (hex, opcode) in [(NODE_SEGMENT, 0x06), (DRIVER_SEGMENT, 0x05)] {
            let wire = unhex(hex);
            let mut frames = Vec::new();
            let used = decode_segments(&wire, &mut frames).expect("valid CRCs");
            assert_eq!(used, wire.len());
            let header = complete_frame(&frames).expect("frame").expect("complete");
            assert_eq!(header.opcode, opcode);
            assert_eq!(header.frame_len(), frames.len());
            // Re-encoding gives the same bytes back (both are single self-contained segments).
            let mut again = Vec::new();
            encode_segments(&frames, &mut again).expect("encode");
            assert_eq!(again, wire);
        }
    }

    #[test]
    fn rejects_corruption() {
        let mut wire = unhex(NODE_SEGMENT);
        let last = wire.len() - 6;
        wire[last] ^= 1;
        assert!(decode_segments(&wire, &mut Vec::new()).is_err());
        let mut wire = unhex(NODE_SEGMENT);
        wire[4] ^= 1;
        assert!(decode_segments(&wire, &mut Vec::new()).is_err());
    }

    fn frame(stream: i16, body_len: usize) -> Vec<u8> {
        let header = Header {
            version: 0x85,
            flags: 0,
            stream,
            opcode: OP_RESULT,
            body_len,
        };
        let mut out = Vec::new();
        write_header(&mut out, &header);
        out.extend((0..body_len).map(|i| (i % 251) as u8));
        out
    }

    #[test]
    fn packs_and_splits() {
        let mut frames = Vec::new();
        for (stream, len) in [(1, 10), (2, 70_000), (3, 70_000), (4, 300_000), (5, 0)] {
            frames.extend(frame(stream, len));
        }
        let mut wire = Vec::new();
        encode_segments(&frames, &mut wire).expect("encode");
        // Count the segments and check the self-contained flags.
        let mut flags = Vec::new();
        let mut pos = 0;
        while pos < wire.len() {
            let header = read_u24_le(&wire[pos..]);
            flags.push(header & SEGMENT_SELF_CONTAINED != 0);
            pos += SEGMENT_HEADER_LEN + (header & 0x1ffff) as usize + SEGMENT_TRAILER_LEN;
        }
        // [1,2] | [3] | 4 split in 3 | [5]
        assert_eq!(flags, [true, true, false, false, false, true]);
        let mut decoded = Vec::new();
        // Feed it in awkward pieces: partial segments are left for the next call.
        let mut used = 0;
        for end in [5, 100, 80_000, 200_000, wire.len()] {
            used += decode_segments(&wire[used..end], &mut decoded).expect("decode");
        }
        assert_eq!(used, wire.len());
        assert_eq!(decoded, frames);
    }

    #[test]
    fn execute_keys() {
        let mut key = Vec::new();
        // v4: id 0xAB 0xCD, consistency ONE, flags VALUES|SKIP_METADATA
        let v4 = Header {
            version: 4,
            flags: 0,
            stream: 7,
            opcode: OP_EXECUTE,
            body_len: 0,
        };
        let body = [0, 2, 0xAB, 0xCD, 0, 1, 0x03, 0, 1, 0, 0, 0, 1, 9];
        assert_eq!(execute_key(&v4, &body, &mut key), ExecuteKey::Cacheable);
        assert_eq!(key, [4, 1, 0, 2, 0xAB, 0xCD]);
        // Paging state and tracing are never answered from a recording.
        let paged = [0, 2, 0xAB, 0xCD, 0, 1, 0x08];
        assert_eq!(execute_key(&v4, &paged, &mut key), ExecuteKey::Uncacheable);
        let traced = Header {
            flags: FLAG_TRACING,
            ..v4
        };
        assert_eq!(
            execute_key(&traced, &body, &mut key),
            ExecuteKey::Uncacheable
        );
        // v5: result metadata id, [int] flags
        let v5 = Header { version: 5, ..v4 };
        let body = [0, 1, 0xAB, 0, 1, 0xEF, 0, 1, 0, 0, 0, 0x01];
        assert_eq!(execute_key(&v5, &body, &mut key), ExecuteKey::Cacheable);
        assert_eq!(key, [5, 0, 0, 1, 0xAB, 0xEF]);
        assert_eq!(
            execute_key(&v5, &body[..9], &mut key),
            ExecuteKey::Uncacheable
        );
    }
}
