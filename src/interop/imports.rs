//! Every class and function the core looks up in Python, each imported once per process.
//!
//! (The exception classes of `aiocql.errors` are looked up by `errors::to_python`, the one place
//! that builds exceptions.) Modules of the `aiocql` package are imported on first use, not at
//! module initialisation: the package imports `_native` while it is itself being imported.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// `module.attr1.attr2...`, imported on first use and kept in `cell`.
fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    module: &str,
    path: &[&str],
) -> PyResult<Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        let mut object = py.import(module)?.into_any();
        for name in path {
            object = object.getattr(*name)?;
        }
        Ok::<_, PyErr>(object.unbind())
    })
    .map(|object| object.bind(py).clone())
}

/// `lookups! { /// doc \n name = "module"."attr"...; ... }`: one function per entry, each
/// importing its object once.
macro_rules! lookups {
    ($($(#[$doc:meta])* $name:ident = $module:literal $(. $attr:literal)*;)*) => {$(
        $(#[$doc])*
        pub(crate) fn $name(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            cached(py, &CELL, $module, &[$($attr),*])
        }
    )*};
}

lookups! {
    /// `asyncio.get_running_loop`.
    get_running_loop = "asyncio"."get_running_loop";
    /// `aiocql.statement.SimpleStatement`.
    simple_statement_class = "aiocql.statement"."SimpleStatement";
    /// `aiocql.statement.ConsistencyLevel`.
    consistency_level_class = "aiocql.statement"."ConsistencyLevel";
    /// `aiocql.statement.BatchStatement`.
    batch_statement_class = "aiocql.statement"."BatchStatement";
    /// `aiocql.concurrent`, where bounded concurrency is written with asyncio itself.
    concurrent_module = "aiocql.concurrent";
    /// `aiocql.tracing.QueryTrace._from_native`, the constructor of fetched traces.
    query_trace_constructor = "aiocql.tracing"."QueryTrace"."_from_native";
    /// `aiocql.types.Duration`.
    duration_class = "aiocql.types"."Duration";
    /// `aiocql.types.UserType._from_server`, the constructor of user-type values.
    user_type_constructor = "aiocql.types"."UserType"."_from_server";
    /// `aiocql.types.CqlDate`: a date outside the years 1-9999.
    cql_date_class = "aiocql.types"."CqlDate";
    /// `aiocql.types.CqlTimestamp`: a timestamp outside the years 1-9999.
    cql_timestamp_class = "aiocql.types"."CqlTimestamp";
    /// `aiocql.EMPTY`, the zero-length value of any CQL type.
    empty_value = "aiocql.types"."EMPTY";
    /// `aiocql.auth.PlainTextAuthProvider`, the credentials of `auth_provider=`.
    plain_text_auth_provider_class = "aiocql.auth"."PlainTextAuthProvider";
    /// `aiocql.UNSET_VALUE`: leave the column as it is.
    unset_value = "aiocql.types"."UNSET_VALUE";
    /// cassandra-driver's row factories (`aiocql.rows`, re-exported by `aiocql.query`).
    tuple_factory = "aiocql.rows"."tuple_factory";
    named_tuple_factory = "aiocql.rows"."named_tuple_factory";
    dict_factory = "aiocql.rows"."dict_factory";
    ordered_dict_factory = "aiocql.rows"."ordered_dict_factory";
    /// `collections.OrderedDict`, the rows of `ordered_dict_factory`.
    ordered_dict_class = "collections"."OrderedDict";
}

/// Standard-library classes the conversions build values with.
pub(crate) struct Stdlib {
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

static STDLIB: PyOnceLock<Stdlib> = PyOnceLock::new();

pub(crate) fn stdlib(py: Python<'_>) -> PyResult<&Stdlib> {
    STDLIB.get_or_try_init(py, || {
        let ipaddress = py.import("ipaddress")?;
        let uuid = py.import("uuid")?;
        let builtins = py.import("builtins")?;
        Ok(Stdlib {
            decimal: py.import("decimal")?.getattr("Decimal")?.unbind(),
            uuid: uuid.getattr("UUID")?.unbind(),
            object_new: builtins.getattr("object")?.getattr("__new__")?.unbind(),
            safe_uuid_unknown: uuid.getattr("SafeUUID")?.getattr("unknown")?.unbind(),
            ipv4: ipaddress.getattr("IPv4Address")?.unbind(),
            ipv6: ipaddress.getattr("IPv6Address")?.unbind(),
            int_from_bytes: builtins.getattr("int")?.getattr("from_bytes")?.unbind(),
        })
    })
}
