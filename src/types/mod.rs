//! Conversions between Python values and CQL's wire format, one file per type family.
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
mod temporal;
mod text;
mod tuple;
pub mod typespec;
mod udt;
pub use udt::with_user_types;
mod uuid;
mod vector;
mod vint;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use scylla::frame::response::result::{CollectionType, ColumnType, NativeType};

use crate::errors::{BindError, BindErrorKind};

/// Why one value cannot be serialised; the caller adds which parameter and column it was.
#[derive(Debug, Clone)]
pub struct ConvError {
    pub kind: BindErrorKind,
    pub detail: String,
}

impl ConvError {
    pub fn type_mismatch(expected: &str, value: &Bound<'_, PyAny>) -> Self {
        ConvError {
            kind: BindErrorKind::Type,
            detail: format!("expected {expected}, got {}", describe(value)),
        }
    }

    pub fn value(detail: impl Into<String>) -> Self {
        ConvError {
            kind: BindErrorKind::Value,
            detail: detail.into(),
        }
    }

    /// Prefixes the detail with where inside a composite value the problem is.
    pub fn inside(mut self, location: impl std::fmt::Display) -> Self {
        self.detail = format!("{location}: {}", self.detail);
        self
    }
}

pub type ConvResult<T> = Result<T, ConvError>;

/// `str ('abc')`: the Python type and a short repr, for error messages.
pub fn describe(value: &Bound<'_, PyAny>) -> String {
    let type_name = python_type_name(value);
    let repr = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    let short: String = if repr.chars().count() > 60 {
        let mut s: String = repr.chars().take(57).collect();
        s.push_str("...");
        s
    } else {
        repr
    };
    format!("{type_name} ({short})")
}

pub fn python_type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// The CQL spelling of a type, as `cqlsh` would print it.
pub fn cql_type_name(typ: &ColumnType<'_>) -> String {
    match typ {
        ColumnType::Native(native) => native_type_name(native).to_string(),
        ColumnType::Collection { frozen, typ } => {
            let inner = match typ {
                CollectionType::List(t) => format!("list<{}>", cql_type_name(t)),
                CollectionType::Set(t) => format!("set<{}>", cql_type_name(t)),
                CollectionType::Map(k, v) => {
                    format!("map<{}, {}>", cql_type_name(k), cql_type_name(v))
                }
                _ => "collection".to_string(),
            };
            if *frozen {
                format!("frozen<{inner}>")
            } else {
                inner
            }
        }
        ColumnType::Vector { typ, dimensions } => {
            format!("vector<{}, {dimensions}>", cql_type_name(typ))
        }
        ColumnType::UserDefinedType { frozen, definition } => {
            let name = format!("{}.{}", definition.keyspace, definition.name);
            if *frozen {
                format!("frozen<{name}>")
            } else {
                name
            }
        }
        ColumnType::Tuple(elements) => {
            let inner: Vec<String> = elements.iter().map(cql_type_name).collect();
            format!("tuple<{}>", inner.join(", "))
        }
        _ => "unknown".to_string(),
    }
}

pub fn native_type_name(native: &NativeType) -> &'static str {
    match native {
        NativeType::Ascii => "ascii",
        NativeType::Boolean => "boolean",
        NativeType::Blob => "blob",
        NativeType::Counter => "counter",
        NativeType::Date => "date",
        NativeType::Decimal => "decimal",
        NativeType::Double => "double",
        NativeType::Duration => "duration",
        NativeType::Float => "float",
        NativeType::Int => "int",
        NativeType::BigInt => "bigint",
        NativeType::Text => "text",
        NativeType::Timestamp => "timestamp",
        NativeType::Inet => "inet",
        NativeType::SmallInt => "smallint",
        NativeType::TinyInt => "tinyint",
        NativeType::Time => "time",
        NativeType::Timeuuid => "timeuuid",
        NativeType::Uuid => "uuid",
        NativeType::Varint => "varint",
        _ => "unknown",
    }
}

/// Appends the serialised form of `value` (without its length prefix) to `out`.
pub fn serialize(
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
pub fn serialize_cell(
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

/// Builds the Python value for a non-null cell of type `typ`.
///
/// `hashable` asks for a hashable representation (elements of sets and keys of maps): lists
/// then come back as tuples and sets as frozensets.
pub fn deserialize<'py>(
    py: Python<'py>,
    typ: &ColumnType<'_>,
    bytes: &[u8],
    hashable: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if bytes.is_empty()
        && !matches!(
            typ,
            ColumnType::Native(NativeType::Text | NativeType::Ascii | NativeType::Blob)
        )
    {
        // A zero-length value of a type that has no empty form ("" and b"" are real values):
        // written by `blobAsInt(0x)` or another driver. Not null, so not None.
        return aiocql_types_attr(py, &EMPTY, &["EMPTY"]);
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
                collection::deserialize_list(py, element, bytes, hashable)
            }
            CollectionType::Set(element) => {
                collection::deserialize_set(py, element, bytes, hashable)
            }
            CollectionType::Map(key, val) => {
                collection::deserialize_map(py, key, val, bytes, hashable)
            }
            _ => Err(malformed("collection", "unknown collection kind")),
        },
        ColumnType::Tuple(elements) => tuple::deserialize_tuple(py, elements, bytes, hashable),
        ColumnType::UserDefinedType { definition, .. } => {
            udt::deserialize_udt(py, definition, bytes, hashable)
        }
        ColumnType::Vector { typ, dimensions } => {
            vector::deserialize_vector(py, typ, *dimensions, bytes, hashable)
        }
        other => Err(malformed(&cql_type_name(other), "type not supported yet")),
    }
}

/// Decodes the `[int length][bytes]` cells of a tuple or UDT, one per type in `types`. A
/// negative length is null; cells missing at the end (the type gained members after the
/// value was written) are `None` as well.
pub fn deserialize_cells<'py, 'a>(
    py: Python<'py>,
    types: impl ExactSizeIterator<Item = &'a ColumnType<'a>>,
    mut bytes: &[u8],
    hashable: bool,
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
        values.push(deserialize(py, typ, cell, hashable)?);
    }
    Ok(values)
}

/// A value the server sent that cannot be decoded as its declared type.
pub fn malformed(cql_type: &str, why: &str) -> PyErr {
    crate::errors::DriverError::Protocol(format!("cannot decode a {cql_type} value: {why}")).into()
}

/// Reads exactly `N` bytes for a fixed-size type.
pub fn fixed<const N: usize>(bytes: &[u8], cql_type: &str) -> PyResult<[u8; N]> {
    bytes.try_into().map_err(|_| {
        malformed(
            cql_type,
            &format!("expected {N} bytes, got {}", bytes.len()),
        )
    })
}

/// Builds the user-facing bind error for parameter `parameter` bound to column `column`.
pub fn bind_error(
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

/// Python classes the conversions need, imported once.
pub struct PyClasses {
    pub decimal: Py<PyAny>,
    pub uuid: Py<PyAny>,
    pub ipv4: Py<PyAny>,
    pub ipv6: Py<PyAny>,
    pub int_from_bytes: Py<PyAny>,
    /// `object.__new__`, to make a `uuid.UUID` without running its Python `__init__`.
    pub object_new: Py<PyAny>,
    /// `uuid.SafeUUID.unknown`, what `UUID(int=...)` stores in `is_safe`.
    pub safe_uuid_unknown: Py<PyAny>,
}

static CLASSES: PyOnceLock<PyClasses> = PyOnceLock::new();
static DURATION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static USER_TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CQL_DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CQL_TIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static EMPTY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static UNSET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whether `value` is `aiocql.EMPTY`, the zero-length value of any CQL type.
pub fn is_empty_value(value: &Bound<'_, PyAny>) -> bool {
    aiocql_types_attr(value.py(), &EMPTY, &["EMPTY"])
        .map(|empty| empty.is(value))
        .unwrap_or(false)
}

/// Whether `value` is `aiocql.UNSET_VALUE`: leave the column as it is.
pub fn is_unset_value(value: &Bound<'_, PyAny>) -> bool {
    aiocql_types_attr(value.py(), &UNSET, &["UNSET_VALUE"])
        .map(|unset| unset.is(value))
        .unwrap_or(false)
}

/// An attribute of `aiocql.types`, imported on first use (the package imports this module,
/// so it cannot be imported at module initialisation).
fn aiocql_types_attr<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    path: &[&str],
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        let mut object = py.import("aiocql.types")?.into_any();
        for name in path {
            object = object.getattr(*name)?;
        }
        Ok::<_, PyErr>(object.unbind())
    })
    .map(|object| object.bind(py).clone())
}

impl PyClasses {
    /// `aiocql.types.Duration`.
    pub fn duration<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aiocql_types_attr(py, &DURATION, &["Duration"])
    }

    /// `aiocql.types.UserType._from_server`, the constructor of user-type values.
    pub fn user_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aiocql_types_attr(py, &USER_TYPE, &["UserType", "_from_server"])
    }

    /// `aiocql.types.CqlDate`: a date outside the years 1-9999.
    pub fn cql_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aiocql_types_attr(py, &CQL_DATE, &["CqlDate"])
    }

    /// `aiocql.types.CqlTimestamp`: a timestamp outside the years 1-9999.
    pub fn cql_timestamp<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aiocql_types_attr(py, &CQL_TIMESTAMP, &["CqlTimestamp"])
    }
}

pub fn classes(py: Python<'_>) -> PyResult<&PyClasses> {
    CLASSES.get_or_try_init(py, || {
        let ipaddress = py.import("ipaddress")?;
        Ok(PyClasses {
            decimal: py.import("decimal")?.getattr("Decimal")?.unbind(),
            uuid: py.import("uuid")?.getattr("UUID")?.unbind(),
            object_new: py
                .import("builtins")?
                .getattr("object")?
                .getattr("__new__")?
                .unbind(),
            safe_uuid_unknown: py
                .import("uuid")?
                .getattr("SafeUUID")?
                .getattr("unknown")?
                .unbind(),
            ipv4: ipaddress.getattr("IPv4Address")?.unbind(),
            ipv6: ipaddress.getattr("IPv6Address")?.unbind(),
            int_from_bytes: py
                .import("builtins")?
                .getattr("int")?
                .getattr("from_bytes")?
                .unbind(),
        })
    })
}

/// `classes()` for serialisation paths, whose errors are [`ConvError`]s.
pub fn classes_for_bind(py: Python<'_>) -> ConvResult<&PyClasses> {
    classes(py).map_err(|e| ConvError::value(format!("cannot import a standard module: {e}")))
}
