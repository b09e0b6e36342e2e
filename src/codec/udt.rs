//! User-defined types <-> `aiocql.UserType` values.
//!
//! In: a mapping (`dict`, `aiocql.UserType`, ...) keyed by field name, or any object whose
//! attributes are the fields (a dataclass, a named tuple, a plain class). A missing field is
//! sent as null; a mapping key that is not a field is refused, so a typo cannot vanish.
//! Out: `aiocql.UserType`, with attribute (`addr.city`) and mapping (`addr["city"]`) access;
//! fields the server did not send (the type gained fields later) are `None`. Inside sets and
//! map keys, collections in fields come back as tuples and frozensets, so the value hashes.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString, PyTuple};
use scylla::frame::response::result::UserDefinedType;

use super::{deserialize_cells, serialize_cell, ConvError, ConvResult, Decoding};
use crate::errors::type_error;
use crate::interop::imports;

/// The class registered for `keyspace.name` in `registry`, if any.
fn registered_class<'py>(
    registry: Option<&Bound<'py, PyDict>>,
    keyspace: &str,
    name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match registry {
        Some(registry) if !registry.is_empty() => registry.get_item((keyspace, name)),
        _ => Ok(None),
    }
}

pub(crate) fn serialize_udt(
    value: &Bound<'_, PyAny>,
    definition: &UserDefinedType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    let type_name = format!("{}.{}", definition.keyspace, definition.name);
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyTuple>() && !has_fields(value)
    {
        return Err(ConvError::type_mismatch(
            &format!("a mapping or an object with the fields of user type {type_name}"),
            value,
        ));
    }
    let py = value.py();
    if let Ok(mapping) = value.cast::<PyMapping>() {
        // Every key must be a field of the type.
        let keys = mapping
            .keys()
            .map_err(|_| ConvError::type_mismatch("a mapping with str keys", value))?;
        for key in keys.iter() {
            let name: String = key
                .extract()
                .map_err(|_| ConvError::type_mismatch("str field names", &key))?;
            if !definition
                .field_types
                .iter()
                .any(|(field, _)| *field == name)
            {
                let known: Vec<&str> = definition
                    .field_types
                    .iter()
                    .map(|(f, _)| f.as_ref())
                    .collect();
                return Err(ConvError::value(format!(
                    "user type {type_name} has no field '{name}' (fields: {})",
                    known.join(", ")
                )));
            }
        }
        for (field, typ) in &definition.field_types {
            let item = match mapping.get_item(field.as_ref()) {
                Ok(item) => item,
                Err(_) => py.None().into_bound(py),
            };
            serialize_cell(&item, typ, out)
                .map_err(|e| e.inside(format_args!("field '{field}'")))?;
        }
        return Ok(());
    }
    // An object whose attributes are the fields; one with none of them is not a value of
    // this type (an int or a str would otherwise become an all-null value).
    let items: Vec<Option<Bound<'_, PyAny>>> = definition
        .field_types
        .iter()
        .map(|(field, _)| value.getattr(field.as_ref()).ok())
        .collect();
    if items.iter().all(Option::is_none) {
        return Err(ConvError::type_mismatch(
            &format!("a mapping or an object with the fields of user type {type_name}"),
            value,
        ));
    }
    for ((field, typ), item) in definition.field_types.iter().zip(items) {
        let item = item.unwrap_or_else(|| py.None().into_bound(py));
        serialize_cell(&item, typ, out).map_err(|e| e.inside(format_args!("field '{field}'")))?;
    }
    Ok(())
}

fn has_fields(value: &Bound<'_, PyAny>) -> bool {
    value.hasattr("_fields").unwrap_or(false)
}

pub(crate) fn deserialize_udt<'py>(
    py: Python<'py>,
    definition: &UserDefinedType<'_>,
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let names: Vec<&str> = definition
        .field_types
        .iter()
        .map(|(f, _)| f.as_ref())
        .collect();
    let types = definition.field_types.iter().map(|(_, typ)| typ);
    let values = deserialize_cells(py, types, bytes, decoding, "user type")?;
    if let Some(class) =
        registered_class(decoding.user_types, &definition.keyspace, &definition.name)?
    {
        let fields = PyDict::new(py);
        for (name, value) in names.iter().zip(values) {
            fields.set_item(name, value)?;
        }
        let value = class.call((), Some(&fields))?;
        if decoding.hashable && value.hash().is_err() {
            return Err(type_error(format!(
                "the class registered for user type {}.{} makes unhashable values, but this \
                 one is in a set or a map key; make it hashable (e.g. @dataclass(frozen=True))",
                definition.keyspace, definition.name
            )));
        }
        return Ok(value);
    }
    imports::user_type_constructor(py)?.call1((
        definition.keyspace.as_ref(),
        definition.name.as_ref(),
        PyTuple::new(py, names)?,
        PyTuple::new(py, values)?,
    ))
}
