//! boolean <-> Python `bool`. Only real booleans are accepted: `1` or `"yes"` are refused.

use pyo3::prelude::*;
use pyo3::types::PyBool;

use super::{fixed, ConvError, ConvResult};

pub(crate) fn serialize(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let b = value
        .cast::<PyBool>()
        .map_err(|_| ConvError::type_mismatch("bool", value))?;
    out.push(u8::from(b.is_true()));
    Ok(())
}

pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let [b] = fixed::<1>(bytes, "boolean")?;
    Ok(PyBool::new(py, b != 0).to_owned().into_any())
}
