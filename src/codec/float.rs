//! float and double <-> Python `float`.
//!
//! Python ints are accepted (exactly converted where the format allows), `bool` and `str` are
//! not. A finite value too large for a 32-bit float is an error rather than a silent infinity.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyString};

use super::{fixed, ConvError, ConvResult};

fn extract_f64(value: &Bound<'_, PyAny>, cql_type: &str) -> ConvResult<f64> {
    if value.is_instance_of::<PyBool>() || value.is_instance_of::<PyString>() {
        return Err(ConvError::type_mismatch(
            &format!("float for CQL {cql_type}"),
            value,
        ));
    }
    value
        .extract::<f64>()
        .map_err(|_| ConvError::type_mismatch(&format!("float for CQL {cql_type}"), value))
}

pub(crate) fn serialize_float(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = extract_f64(value, "float")?;
    if v.is_finite() && v.abs() > f64::from(f32::MAX) {
        return Err(ConvError::value(format!(
            "{v} is out of range for CQL float (32-bit); use a double column"
        )));
    }
    out.extend_from_slice(&(v as f32).to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_double(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = extract_f64(value, "double")?;
    out.extend_from_slice(&v.to_be_bytes());
    Ok(())
}

pub(crate) fn deserialize_float<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let v = f32::from_be_bytes(fixed::<4>(bytes, "float")?);
    Ok(PyFloat::new(py, f64::from(v)).into_any())
}

pub(crate) fn deserialize_double<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let v = f64::from_be_bytes(fixed::<8>(bytes, "double")?);
    Ok(PyFloat::new(py, v).into_any())
}
