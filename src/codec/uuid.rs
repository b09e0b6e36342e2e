//! uuid and timeuuid <-> `uuid.UUID`. A timeuuid column accepts only version-1 UUIDs, checked
//! before sending so the error names the parameter.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

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

pub(crate) fn serialize_uuid(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    out.extend_from_slice(&uuid_int(value, "uuid")?.to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_timeuuid(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
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

/// A `uuid.UUID` equal in every way to `UUID(int=v)`, made without its Python `__init__`
/// (argument checks for five spellings; ~4x the cost of filling the two slots directly). A wide
/// result can hold thousands of them.
pub(crate) fn deserialize<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let v = u128::from_be_bytes(fixed::<16>(bytes, "uuid")?);
    let cls = classes(py)?;
    let uuid = cls.object_new.bind(py).call1((cls.uuid.bind(py),))?;
    set_slot(&uuid, intern!(py, "int"), &v.into_pyobject(py)?.into_any())?;
    set_slot(
        &uuid,
        intern!(py, "is_safe"),
        cls.safe_uuid_unknown.bind(py),
    )?;
    Ok(uuid)
}

/// `object.__setattr__`: UUID's own `__setattr__` refuses every write (UUIDs are immutable).
fn set_slot(
    obj: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: three valid, borrowed object pointers; the call does not steal references.
    let status =
        unsafe { pyo3::ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if status == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(obj.py()))
    }
}
