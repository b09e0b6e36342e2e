//! text/varchar and ascii <-> Python `str`. Bytes are refused (say which encoding you meant by
//! decoding them first); ascii columns refuse non-ASCII characters before anything is sent.

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::{malformed, ConvError, ConvResult};

fn as_str<'a>(
    value: &'a Bound<'_, PyAny>,
    cql_type: &str,
) -> ConvResult<std::borrow::Cow<'a, str>> {
    let s = value
        .cast::<PyString>()
        .map_err(|_| ConvError::type_mismatch(&format!("str for CQL {cql_type}"), value))?;
    s.to_cow()
        .map_err(|_| ConvError::value("the string is not valid Unicode (lone surrogate)"))
}

pub(crate) fn serialize_text(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    out.extend_from_slice(as_str(value, "text")?.as_bytes());
    Ok(())
}

pub(crate) fn serialize_ascii(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let s = as_str(value, "ascii")?;
    if let Some((at, ch)) = s.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(ConvError::value(format!(
            "CQL ascii accepts only ASCII characters; found {ch:?} at position {at} (use a text column)"
        )));
    }
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let s = std::str::from_utf8(bytes).map_err(|e| malformed("text", &e.to_string()))?;
    Ok(PyString::new(py, s).into_any())
}
