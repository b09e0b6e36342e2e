//! uuid and timeuuid <-> `uuid.UUID`. A timeuuid column accepts only version-1 UUIDs, checked
//! before sending so the error names the parameter.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{classes, classes_for_bind, fixed, ConvError, ConvResult};

fn uuid_int(value: &Bound<'_, PyAny>, cql_type: &str) -> ConvResult<u128> {
    let py = value.py();
    let uuid_class = classes_for_bind(py)?.uuid.bind(py);
    if !value.is_instance(uuid_class).unwrap_or(false) {
        return Err(ConvError::type_mismatch(
            &format!("uuid.UUID for CQL {cql_type}"),
            value,
        ));
    }
    value
        .getattr("int")
        .and_then(|i| i.extract::<u128>())
        .map_err(|e| ConvError::value(e.to_string()))
}

pub fn serialize_uuid(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    out.extend_from_slice(&uuid_int(value, "uuid")?.to_be_bytes());
    Ok(())
}

pub fn serialize_timeuuid(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let v = uuid_int(value, "timeuuid")?;
    let version = (v >> 76) & 0xF;
    if version != 1 {
        return Err(ConvError::value(format!(
            "CQL timeuuid needs a version 1 (time-based) UUID, got version {version}; \
             make one with uuid.uuid1()"
        )));
    }
    out.extend_from_slice(&v.to_be_bytes());
    Ok(())
}

pub fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let v = u128::from_be_bytes(fixed::<16>(bytes, "uuid")?);
    let kwargs = PyDict::new(py);
    kwargs.set_item("int", v)?;
    classes(py)?.uuid.bind(py).call((), Some(&kwargs))
}
