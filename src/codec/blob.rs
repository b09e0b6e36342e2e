//! blob <-> Python `bytes` (bytearray and memoryview accepted on the way in).

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

use super::{ConvError, ConvResult};

pub(crate) fn serialize(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    if let Ok(b) = value.cast::<PyBytes>() {
        out.extend_from_slice(b.as_bytes());
        return Ok(());
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        out.extend_from_slice(&b.to_vec());
        return Ok(());
    }
    if value.is_instance_of::<PyMemoryView>() {
        let copy = value
            .call_method0("tobytes")
            .map_err(|e| ConvError::value(e.to_string()))?;
        if let Ok(b) = copy.cast::<PyBytes>() {
            out.extend_from_slice(b.as_bytes());
            return Ok(());
        }
    }
    Err(ConvError::type_mismatch(
        "bytes, bytearray or memoryview for CQL blob",
        value,
    ))
}

pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyBytes::new(py, bytes).into_any())
}
