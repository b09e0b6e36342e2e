//! tinyint, smallint, int, bigint, counter and varint <-> Python `int`.
//!
//! `bool` is refused even though it subclasses `int` (a `True` in an int column is a bug far
//! more often than an intent), and so is `float` (no silent truncation). Any other object with
//! `__index__` (numpy integers, for instance) is accepted. Out-of-range values are errors,
//! never wrapped.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use super::{classes, fixed, ConvError, ConvResult};

fn check_integer(value: &Bound<'_, PyAny>, cql_type: &str) -> ConvResult<()> {
    if value.is_instance_of::<PyBool>() || value.is_instance_of::<PyFloat>() {
        return Err(ConvError::type_mismatch(
            &format!("int for CQL {cql_type}"),
            value,
        ));
    }
    Ok(())
}

fn extract_i64(value: &Bound<'_, PyAny>, cql_type: &str, min: i64, max: i64) -> ConvResult<i64> {
    check_integer(value, cql_type)?;
    let out_of_range = || {
        ConvError::value(format!(
            "{} is out of range for CQL {cql_type} ({min} to {max})",
            value.str().map(|s| s.to_string()).unwrap_or_default()
        ))
    };
    match value.extract::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(_) => Err(out_of_range()),
        Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => Err(out_of_range()),
        Err(_) => Err(ConvError::type_mismatch(
            &format!("int for CQL {cql_type}"),
            value,
        )),
    }
}

pub(crate) fn serialize_tinyint(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = extract_i64(value, "tinyint", i8::MIN.into(), i8::MAX.into())?;
    out.extend_from_slice(&(v as i8).to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_smallint(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = extract_i64(value, "smallint", i16::MIN.into(), i16::MAX.into())?;
    out.extend_from_slice(&(v as i16).to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_int(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = extract_i64(value, "int", i32::MIN.into(), i32::MAX.into())?;
    out.extend_from_slice(&(v as i32).to_be_bytes());
    Ok(())
}

/// bigint and counter (both 64-bit); `cql_type` names the column's type in errors.
pub(crate) fn serialize_bigint(
    value: &Bound<'_, PyAny>,
    cql_type: &str,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    let v = extract_i64(value, cql_type, i64::MIN, i64::MAX)?;
    out.extend_from_slice(&v.to_be_bytes());
    Ok(())
}

/// Appends the shortest two's-complement big-endian encoding of `v` (CQL varint).
pub(crate) fn write_varint_i128(v: i128, out: &mut Vec<u8>) {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    // Drop leading bytes that only repeat the sign of the next byte.
    while start < bytes.len() - 1 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Serialises any Python int as a CQL varint (arbitrary size).
pub(crate) fn write_varint_py(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    if let Ok(v) = value.extract::<i128>() {
        write_varint_i128(v, out);
        return Ok(());
    }
    // Larger than 128 bits: let Python produce the minimal signed encoding.
    let py = value.py();
    let for_length = if value.lt(0).map_err(|e| ConvError::value(e.to_string()))? {
        value.call_method0("__invert__")
    } else {
        Ok(value.clone())
    }
    .map_err(|e| ConvError::value(e.to_string()))?;
    let bits: usize = for_length
        .call_method0("bit_length")
        .and_then(|b| b.extract())
        .map_err(|e| ConvError::value(e.to_string()))?;
    let length = bits / 8 + 1;
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs
        .set_item("signed", true)
        .map_err(|e| ConvError::value(e.to_string()))?;
    let encoded = value
        .call_method("to_bytes", (length, "big"), Some(&kwargs))
        .map_err(|e| ConvError::value(e.to_string()))?;
    let encoded = encoded
        .cast::<pyo3::types::PyBytes>()
        .map_err(|e| ConvError::value(e.to_string()))?;
    out.extend_from_slice(encoded.as_bytes());
    Ok(())
}

pub(crate) fn serialize_varint(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    check_integer(value, "varint")?;
    let as_int = if value.is_instance_of::<PyInt>() {
        value.clone()
    } else {
        value
            .call_method0("__index__")
            .map_err(|_| ConvError::type_mismatch("int for CQL varint", value))?
    };
    write_varint_py(&as_int, out)
}

pub(crate) fn deserialize_tinyint<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyInt::new(py, i8::from_be_bytes(fixed::<1>(bytes, "tinyint")?)).into_any())
}

pub(crate) fn deserialize_smallint<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyInt::new(py, i16::from_be_bytes(fixed::<2>(bytes, "smallint")?)).into_any())
}

pub(crate) fn deserialize_int<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyInt::new(py, i32::from_be_bytes(fixed::<4>(bytes, "int")?)).into_any())
}

pub(crate) fn deserialize_bigint<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyInt::new(py, i64::from_be_bytes(fixed::<8>(bytes, "bigint")?)).into_any())
}

/// Reads a two's-complement big-endian integer of any length.
pub(crate) fn read_varint<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    if bytes.is_empty() {
        return Ok(PyInt::new(py, 0).into_any());
    }
    if bytes.len() <= 16 {
        let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0x00 };
        let mut buf = [fill; 16];
        buf[16 - bytes.len()..].copy_from_slice(bytes);
        return Ok(i128::from_be_bytes(buf).into_pyobject(py)?.into_any());
    }
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("signed", true)?;
    classes(py)?
        .int_from_bytes
        .bind(py)
        .call((pyo3::types::PyBytes::new(py, bytes), "big"), Some(&kwargs))
}

pub(crate) fn deserialize_varint<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    read_varint(py, bytes)
}

#[cfg(test)]
mod tests {
    use super::write_varint_i128;

    fn enc(v: i128) -> Vec<u8> {
        let mut out = Vec::new();
        write_varint_i128(v, &mut out);
        out
    }

    #[test]
    fn varint_encoding_is_minimal_twos_complement() {
        assert_eq!(enc(0), vec![0x00]);
        assert_eq!(enc(1), vec![0x01]);
        assert_eq!(enc(-1), vec![0xFF]);
        assert_eq!(enc(127), vec![0x7F]);
        assert_eq!(enc(128), vec![0x00, 0x80]);
        assert_eq!(enc(-128), vec![0x80]);
        assert_eq!(enc(-129), vec![0xFF, 0x7F]);
        assert_eq!(enc(i64::MAX.into()), i64::MAX.to_be_bytes().to_vec());
        assert_eq!(enc(i128::MIN), i128::MIN.to_be_bytes().to_vec());
    }
}
