//! vector<T, n> <-> Python `list`.
//!
//! In: any sequence of exactly n values (`list`, `tuple`, a numpy array, ...); vectors cannot
//! hold nulls. A 1-D numpy array whose dtype is the element type (float32 for `vector<float>`,
//! float64 for `vector<double>`) is converted in one call, without a Python object per element. Fixed-size elements (float, double, int, bigint, boolean, uuid, timestamp)
//! are written back to back, others each with an unsigned-vint length, as Cassandra does.
//! Out: a `list` (a `tuple` inside sets and map keys).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use scylla::frame::response::result::{ColumnType, NativeType};

use super::{
    cql_type_name, deserialize, malformed, serialize, vint, ConvError, ConvResult, Decoding,
};

pub(crate) fn serialize_vector(
    value: &Bound<'_, PyAny>,
    element: &ColumnType<'_>,
    dimensions: u16,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    let expected = || {
        format!(
            "a sequence of {dimensions} values for CQL vector<{}, {dimensions}>",
            cql_type_name(element)
        )
    };
    if let Some(bytes) = numpy_big_endian_bytes(value, element)? {
        let given = bytes.len() / element.type_size_for_vector().unwrap_or(1);
        if given != usize::from(dimensions) {
            return Err(ConvError::value(format!(
                "expected {dimensions} values for vector<{}, {dimensions}>, got {given}",
                cql_type_name(element),
            )));
        }
        out.extend_from_slice(&bytes);
        return Ok(());
    }
    let items = value
        .try_iter()
        .and_then(|iter| iter.collect::<PyResult<Vec<_>>>())
        .map_err(|_| ConvError::type_mismatch(&expected(), value))?;
    if value.is_instance_of::<pyo3::types::PyString>()
        || value.is_instance_of::<pyo3::types::PyBytes>()
    {
        return Err(ConvError::type_mismatch(&expected(), value));
    }
    if items.len() != usize::from(dimensions) {
        return Err(ConvError::value(format!(
            "expected {dimensions} values for vector<{}, {dimensions}>, got {}",
            cql_type_name(element),
            items.len()
        )));
    }
    let fixed = element.type_size_for_vector();
    for (i, item) in items.iter().enumerate() {
        if item.is_none() {
            return Err(ConvError::value("CQL vectors cannot contain null (None)")
                .inside(format_args!("element {i}")));
        }
        if fixed.is_some() {
            serialize(item, element, out).map_err(|e| e.inside(format_args!("element {i}")))?;
        } else {
            let mut cell = Vec::new();
            serialize(item, element, &mut cell)
                .map_err(|e| e.inside(format_args!("element {i}")))?;
            vint::write_unsigned(cell.len() as u64, out);
            out.extend_from_slice(&cell);
        }
    }
    Ok(())
}

/// The elements of a 1-D numpy array of exactly the element type, as big-endian bytes; None
/// for anything else (which then goes element by element, with every check).
fn numpy_big_endian_bytes(
    value: &Bound<'_, PyAny>,
    element: &ColumnType<'_>,
) -> ConvResult<Option<Vec<u8>>> {
    let (dtype_char, big_endian) = match element {
        ColumnType::Native(NativeType::Float) => ("f", ">f4"),
        ColumnType::Native(NativeType::Double) => ("d", ">f8"),
        _ => return Ok(None),
    };
    let is_match = || -> PyResult<bool> {
        let Ok(dtype) = value.getattr("dtype") else {
            return Ok(false);
        };
        Ok(value.getattr("ndim")?.extract::<usize>()? == 1
            && dtype.getattr("char")?.extract::<String>()? == dtype_char)
    };
    if !is_match().unwrap_or(false) {
        return Ok(None);
    }
    value
        .call_method1("astype", (big_endian,))
        .and_then(|array| array.call_method0("tobytes"))
        .and_then(|bytes| Ok(bytes.cast_into::<PyBytes>()?.as_bytes().to_vec()))
        .map(Some)
        .map_err(|e| ConvError::value(format!("cannot read the numpy array: {e}")))
}

pub(crate) fn deserialize_vector<'py>(
    py: Python<'py>,
    element: &ColumnType<'_>,
    dimensions: u16,
    mut bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let count = usize::from(dimensions);
    let mut values = Vec::with_capacity(count);
    match element.type_size_for_vector() {
        Some(size) => {
            if bytes.len() != size * count {
                return Err(malformed(
                    "vector",
                    &format!("expected {} bytes, got {}", size * count, bytes.len()),
                ));
            }
            for chunk in bytes.chunks_exact(size) {
                values.push(deserialize(py, element, chunk, decoding.hashable())?);
            }
        }
        None => {
            for _ in 0..count {
                let len = vint::read_unsigned(&mut bytes)
                    .ok_or_else(|| malformed("vector", "truncated element length"))?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|len| *len <= bytes.len())
                    .ok_or_else(|| malformed("vector", "element longer than the value"))?;
                let (cell, rest) = bytes.split_at(len);
                bytes = rest;
                values.push(deserialize(py, element, cell, decoding.hashable())?);
            }
        }
    }
    if decoding.hashable {
        Ok(PyTuple::new(py, values)?.into_any())
    } else {
        Ok(PyList::new(py, values)?.into_any())
    }
}
