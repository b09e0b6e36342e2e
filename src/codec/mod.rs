//! Codec: conversions between Python values and CQL's wire format, one file per type family
//! (the `scylla` crate's `serialize` and `deserialize`, for Python values).
//!
//! Serialisation is driven by the column type the server reported for the bind marker, so an
//! `int` given for a `bigint` just works and a `str` given for an `int` is refused before
//! anything is sent. Deserialisation builds Python objects straight from the frame bytes.

mod blob;
mod boolean;
mod collection;
mod decimal;
mod duration;
mod float;
mod inet;
mod integer;
mod names;
mod temporal;
mod text;
mod tuple;
pub(crate) mod typespec;
mod udt;
mod uuid;
mod vector;
mod vint;

pub(crate) use names::cql_type_name;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use scylla::frame::response::result::{CollectionType, ColumnType, NativeType};

use crate::errors::{BindError, BindErrorKind, DriverError};
use crate::interop::imports::{self, Stdlib};
use crate::interop::names::{describe, python_type_name};
use names::native_type_name;

/// Why one value cannot be serialised; the caller adds which parameter and column it was.
#[derive(Debug, Clone)]
pub(crate) struct ConvError {
    pub(crate) kind: BindErrorKind,
    pub(crate) detail: String,
}

impl ConvError {
    pub(crate) fn type_mismatch(expected: &str, value: &Bound<'_, PyAny>) -> Self {
        ConvError {
            kind: BindErrorKind::Type,
            detail: format!("expected {expected}, got {}", describe(value)),
        }
    }

    pub(crate) fn value(detail: impl Into<String>) -> Self {
        ConvError {
            kind: BindErrorKind::Value,
            detail: detail.into(),
        }
    }

    /// Prefixes the detail with where inside a composite value the problem is.
    pub(crate) fn inside(mut self, location: impl std::fmt::Display) -> Self {
        self.detail = format!("{location}: {}", self.detail);
        self
    }
}

pub(crate) type ConvResult<T> = Result<T, ConvError>;

/// Appends the serialised form of `value` (without its length prefix) to `out`.
pub(crate) fn serialize(
    value: &Bound<'_, PyAny>,
    typ: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    if is_empty_value(value) {
        return Ok(()); // a zero-length value
    }
    if is_unset_value(value) {
        return Err(ConvError::value(
            "UNSET_VALUE can only be a whole parameter, not part of a collection, tuple or UDT",
        ));
    }
    match typ {
        ColumnType::Native(native) => match native {
            NativeType::TinyInt => integer::serialize_tinyint(value, out),
            NativeType::SmallInt => integer::serialize_smallint(value, out),
            NativeType::Int => integer::serialize_int(value, out),
            NativeType::BigInt => integer::serialize_bigint(value, "bigint", out),
            NativeType::Counter => integer::serialize_bigint(value, "counter", out),
            NativeType::Varint => integer::serialize_varint(value, out),
            NativeType::Float => float::serialize_float(value, out),
            NativeType::Double => float::serialize_double(value, out),
            NativeType::Decimal => decimal::serialize(value, out),
            NativeType::Boolean => boolean::serialize(value, out),
            NativeType::Text => text::serialize_text(value, out),
            NativeType::Ascii => text::serialize_ascii(value, out),
            NativeType::Blob => blob::serialize(value, out),
            NativeType::Uuid => uuid::serialize_uuid(value, out),
            NativeType::Timeuuid => uuid::serialize_timeuuid(value, out),
            NativeType::Timestamp => temporal::serialize_timestamp(value, out),
            NativeType::Date => temporal::serialize_date(value, out),
            NativeType::Time => temporal::serialize_time(value, out),
            NativeType::Inet => inet::serialize(value, out),
            NativeType::Duration => duration::serialize(value, out),
            other => Err(unsupported(native_type_name(other))),
        },
        ColumnType::Collection { typ, .. } => match typ {
            CollectionType::List(element) => collection::serialize_list(value, element, out),
            CollectionType::Set(element) => collection::serialize_set(value, element, out),
            CollectionType::Map(key, val) => collection::serialize_map(value, key, val, out),
            _ => Err(unsupported(&cql_type_name(&ColumnType::Collection {
                frozen: false,
                typ: typ.clone(),
            }))),
        },
        ColumnType::Tuple(elements) => tuple::serialize_tuple(value, elements, out),
        ColumnType::UserDefinedType { definition, .. } => {
            udt::serialize_udt(value, definition, out)
        }
        ColumnType::Vector { typ, dimensions } => {
            vector::serialize_vector(value, typ, *dimensions, out)
        }
        other => Err(unsupported(&cql_type_name(other))),
    }
}

fn unsupported(cql_type: &str) -> ConvError {
    ConvError {
        kind: BindErrorKind::Type,
        detail: format!(
            "binding values of CQL type {cql_type} is not supported by this version of aiocql"
        ),
    }
}

/// Writes a `[int length][bytes]` cell, or a null cell for `None`, to `out`.
pub(crate) fn serialize_cell(
    value: &Bound<'_, PyAny>,
    typ: &ColumnType<'_>,
    out: &mut Vec<u8>,
) -> ConvResult<()> {
    if value.is_none() {
        out.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    let at = out.len();
    out.extend_from_slice(&[0u8; 4]);
    serialize(value, typ, out)?;
    let len = i32::try_from(out.len() - at - 4)
        .map_err(|_| ConvError::value("value is larger than the 2 GiB a CQL value can hold"))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// How a value and the values inside it are decoded.
#[derive(Clone, Copy, Default)]
pub(crate) struct Decoding<'a, 'py> {
    /// A hashable representation is needed (elements of sets and keys of maps): lists then come
    /// back as tuples and sets as frozensets.
    pub(crate) hashable: bool,
    /// `{(keyspace, type): class}`: the classes registered for user-defined types.
    pub(crate) user_types: Option<&'a Bound<'py, PyDict>>,
}

impl<'a, 'py> Decoding<'a, 'py> {
    pub(crate) fn new(user_types: Option<&'a Bound<'py, PyDict>>) -> Self {
        Decoding {
            hashable: false,
            user_types,
        }
    }

    /// The same, for a value that must be hashable.
    pub(crate) fn hashable(self) -> Self {
        Decoding {
            hashable: true,
            ..self
        }
    }
}

/// Builds the Python value for a non-null cell of type `typ`.
pub(crate) fn deserialize<'py>(
    py: Python<'py>,
    typ: &ColumnType<'_>,
    bytes: &[u8],
    decoding: Decoding<'_, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    if bytes.is_empty()
        && !matches!(
            typ,
            ColumnType::Native(NativeType::Text | NativeType::Ascii | NativeType::Blob)
        )
    {
        // A zero-length value of a type that has no empty form ("" and b"" are real values):
        // written by `blobAsInt(0x)` or another driver. Not null, so not None.
        return imports::empty_value(py);
    }
    match typ {
        ColumnType::Native(native) => match native {
            NativeType::TinyInt => integer::deserialize_tinyint(py, bytes),
            NativeType::SmallInt => integer::deserialize_smallint(py, bytes),
            NativeType::Int => integer::deserialize_int(py, bytes),
            NativeType::BigInt | NativeType::Counter => integer::deserialize_bigint(py, bytes),
            NativeType::Varint => integer::deserialize_varint(py, bytes),
            NativeType::Float => float::deserialize_float(py, bytes),
            NativeType::Double => float::deserialize_double(py, bytes),
            NativeType::Decimal => decimal::deserialize(py, bytes),
            NativeType::Boolean => boolean::deserialize(py, bytes),
            NativeType::Text | NativeType::Ascii => text::deserialize(py, bytes),
            NativeType::Blob => blob::deserialize(py, bytes),
            NativeType::Uuid | NativeType::Timeuuid => uuid::deserialize(py, bytes),
            NativeType::Timestamp => temporal::deserialize_timestamp(py, bytes),
            NativeType::Date => temporal::deserialize_date(py, bytes),
            NativeType::Time => temporal::deserialize_time(py, bytes),
            NativeType::Inet => inet::deserialize(py, bytes),
            NativeType::Duration => duration::deserialize(py, bytes),
            other => Err(malformed(native_type_name(other), "type not supported yet")),
        },
        ColumnType::Collection { typ, .. } => match typ {
            CollectionType::List(element) => {
                collection::deserialize_list(py, element, bytes, decoding)
            }
            CollectionType::Set(element) => {
                collection::deserialize_set(py, element, bytes, decoding)
            }
            CollectionType::Map(key, val) => {
                collection::deserialize_map(py, key, val, bytes, decoding)
            }
            _ => Err(malformed("collection", "unknown collection kind")),
        },
        ColumnType::Tuple(elements) => tuple::deserialize_tuple(py, elements, bytes, decoding),
        ColumnType::UserDefinedType { definition, .. } => {
            udt::deserialize_udt(py, definition, bytes, decoding)
        }
        ColumnType::Vector { typ, dimensions } => {
            vector::deserialize_vector(py, typ, *dimensions, bytes, decoding)
        }
        other => Err(malformed(&cql_type_name(other), "type not supported yet")),
    }
}

/// Decodes the `[int length][bytes]` cells of a tuple or UDT, one per type in `types`. A
/// negative length is null; cells missing at the end (the type gained members after the
/// value was written) are `None` as well.
pub(crate) fn deserialize_cells<'py, 'a>(
    py: Python<'py>,
    types: impl ExactSizeIterator<Item = &'a ColumnType<'a>>,
    mut bytes: &[u8],
    decoding: Decoding<'_, 'py>,
    cql_type: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut values = Vec::with_capacity(types.len());
    for typ in types {
        if bytes.is_empty() {
            values.push(py.None().into_bound(py));
            continue;
        }
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(malformed(cql_type, "truncated member length"));
        };
        let len = i32::from_be_bytes(*len);
        bytes = rest;
        let Ok(len) = usize::try_from(len) else {
            values.push(py.None().into_bound(py)); // negative: null
            continue;
        };
        if bytes.len() < len {
            return Err(malformed(cql_type, "member longer than the value"));
        }
        let (cell, rest) = bytes.split_at(len);
        bytes = rest;
        values.push(deserialize(py, typ, cell, decoding)?);
    }
    Ok(values)
}

/// A value the server sent that cannot be decoded as its declared type.
pub(crate) fn malformed(cql_type: &str, why: &str) -> PyErr {
    DriverError::Protocol(format!("cannot decode a {cql_type} value: {why}")).into()
}

/// Reads exactly `N` bytes for a fixed-size type.
pub(crate) fn fixed<const N: usize>(bytes: &[u8], cql_type: &str) -> PyResult<[u8; N]> {
    bytes.try_into().map_err(|_| {
        malformed(
            cql_type,
            &format!("expected {N} bytes, got {}", bytes.len()),
        )
    })
}

/// Builds the user-facing bind error for parameter `parameter` bound to column `column`.
pub(crate) fn bind_error(
    err: ConvError,
    parameter: &str,
    column: &str,
    typ: &ColumnType<'_>,
    value: &Bound<'_, PyAny>,
) -> BindError {
    let cql_type = cql_type_name(typ);
    BindError {
        kind: err.kind,
        message: format!(
            "parameter {parameter} (column '{column}', CQL type {cql_type}): {}",
            err.detail
        ),
        parameter: Some(parameter.to_string()),
        column: Some(column.to_string()),
        cql_type: Some(cql_type),
        python_type: Some(python_type_name(value)),
    }
}

/// The standard-library classes, for deserialisation paths.
pub(crate) fn classes(py: Python<'_>) -> PyResult<&Stdlib> {
    imports::stdlib(py)
}

/// The standard-library classes, for serialisation paths, whose errors are [`ConvError`]s.
pub(crate) fn classes_for_bind(py: Python<'_>) -> ConvResult<&Stdlib> {
    imports::stdlib(py)
        .map_err(|e| ConvError::value(format!("cannot import a standard module: {e}")))
}

/// Whether `value` is `aiocql.EMPTY`, the zero-length value of any CQL type.
pub(crate) fn is_empty_value(value: &Bound<'_, PyAny>) -> bool {
    imports::empty_value(value.py()).is_ok_and(|empty| empty.is(value))
}

/// Whether `value` is `aiocql.UNSET_VALUE`: leave the column as it is.
pub(crate) fn is_unset_value(value: &Bound<'_, PyAny>) -> bool {
    imports::unset_value(value.py()).is_ok_and(|unset| unset.is(value))
}
