//! `PreparedStatement` and `BoundStatement`, the Python objects of a statement the server has
//! prepared.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

use super::bind::{bind_cells, serialize_parameters, SerializedCells};
use super::options::{RawOptions, StatementOptions, StatementRetry};
use crate::codec::cql_type_name;
use crate::errors::BindError;
use crate::interop::sync::lock;

/// A `PreparedStatement`'s options: as the user set them, and validated.
#[derive(Default)]
struct Settings {
    raw: RawOptions,
    options: StatementOptions,
}

/// A statement parsed and planned by the server once, executed many times with new values.
///
/// Get one with `await session.prepare("... WHERE id = ?")`; pass it to `session.execute()`.
#[pyclass(module = "aiocql", name = "PreparedStatement", frozen)]
pub(crate) struct PreparedStatement {
    inner: ScyllaPrepared,
    settings: Mutex<Settings>,
}

impl PreparedStatement {
    pub(crate) fn new(inner: ScyllaPrepared) -> Self {
        PreparedStatement {
            inner,
            settings: Mutex::new(Settings::default()),
        }
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        lock(&self.settings)
    }

    /// The statement with this object's options applied, ready to bind; and its timeout.
    pub(crate) fn configured(&self) -> (ScyllaPrepared, Option<Duration>) {
        let settings = self.settings();
        let mut prepared = self.inner.clone();
        settings.options.apply_to(&mut prepared);
        (prepared, settings.options.timeout())
    }

    /// Changes one setting, validating the result before keeping it.
    fn update(&self, change: impl FnOnce(&mut RawOptions)) -> PyResult<()> {
        let mut settings = self.settings();
        let mut raw = settings.raw.clone();
        change(&mut raw);
        let options = StatementOptions::new(&raw)?;
        *settings = Settings { raw, options };
        Ok(())
    }
}

#[pymethods]
impl PreparedStatement {
    /// The CQL text that was prepared.
    #[getter]
    fn query_string(&self) -> &str {
        self.inner.get_statement()
    }

    /// The server's id for this statement.
    #[getter]
    fn query_id<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.get_id())
    }

    /// Keyspace of the table the statement reads or writes, when the server reported one.
    #[getter]
    fn keyspace(&self) -> Option<&str> {
        self.inner.get_keyspace_name()
    }

    /// The bind markers, in order: `[(name, cql_type), ...]`.
    #[getter]
    fn column_metadata(&self) -> Vec<(String, String)> {
        self.inner
            .get_variable_col_specs()
            .iter()
            .map(|s| (s.name().to_string(), cql_type_name(s.typ())))
            .collect()
    }

    /// The columns a result of this statement has: `[(name, cql_type), ...]`.
    #[getter]
    fn result_metadata(&self) -> Vec<(String, String)> {
        self.inner
            .get_current_result_set_col_specs()
            .get()
            .iter()
            .map(|s| (s.name().to_string(), cql_type_name(s.typ())))
            .collect()
    }

    /// `ConsistencyLevel` for executions of this statement (None: the session's).
    #[getter]
    fn get_consistency_level(&self) -> Option<i64> {
        self.settings().raw.consistency
    }

    #[setter]
    fn set_consistency_level(&self, level: Option<i64>) -> PyResult<()> {
        self.update(|s| s.consistency = level)
    }

    /// `SERIAL` or `LOCAL_SERIAL`, for lightweight transactions (None: the server's default).
    #[getter]
    fn get_serial_consistency_level(&self) -> Option<i64> {
        self.settings().raw.serial_consistency
    }

    #[setter]
    fn set_serial_consistency_level(&self, level: Option<i64>) -> PyResult<()> {
        self.update(|s| s.serial_consistency = level)
    }

    /// Rows per page (None: 5000).
    #[getter]
    fn get_fetch_size(&self) -> Option<i64> {
        self.settings().raw.fetch_size
    }

    #[setter]
    fn set_fetch_size(&self, size: Option<i64>) -> PyResult<()> {
        self.update(|s| s.fetch_size = size)
    }

    /// Whether executing twice is harmless (lets retry and speculative policies repeat it).
    #[getter]
    fn get_is_idempotent(&self) -> bool {
        self.settings().raw.idempotent
    }

    #[setter]
    fn set_is_idempotent(&self, idempotent: bool) -> PyResult<()> {
        self.update(|s| s.idempotent = idempotent)
    }

    /// Seconds each execution may take (None: the session's `request_timeout`).
    #[getter]
    fn get_timeout(&self) -> Option<f64> {
        self.settings().raw.timeout
    }

    #[setter]
    fn set_timeout(&self, timeout: Option<f64>) -> PyResult<()> {
        self.update(|s| s.timeout = timeout)
    }

    /// Client-side write timestamp in microseconds since the epoch (None: the server's clock).
    #[getter]
    fn get_timestamp(&self) -> Option<i64> {
        self.settings().raw.timestamp
    }

    #[setter]
    fn set_timestamp(&self, timestamp: Option<i64>) -> PyResult<()> {
        self.update(|s| s.timestamp = timestamp)
    }

    /// The retry policy of executions of this statement (None: the execution profile's).
    #[getter]
    fn get_retry_policy(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.settings()
            .raw
            .retry
            .as_ref()
            .map(|r| r.object.clone_ref(py))
    }

    #[setter]
    fn set_retry_policy(&self, policy: Bound<'_, PyAny>) -> PyResult<()> {
        let retry = StatementRetry::read(&policy)?;
        self.update(|s| s.retry = retry)
    }

    /// Convert `parameters` now and return a `BoundStatement` to execute (possibly many
    /// times) or add to a batch.
    ///
    /// Raises `ParameterTypeError`/`ParameterValueError` naming the parameter, column and CQL
    /// type, as `execute()` does.
    ///
    ///     bound = insert.bind((user_id, "ada"))
    ///     await session.execute(bound)
    #[pyo3(signature = (parameters=None))]
    fn bind(
        slf: &Bound<'_, Self>,
        parameters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<BoundStatement> {
        let py = slf.py();
        let this = slf.get();
        let (prepared, timeout) = this.configured();
        let cells = serialize_parameters(&prepared, parameters).map_err(|e| e.into_pyerr(py))?;
        Ok(BoundStatement {
            statement: slf.clone().unbind(),
            prepared,
            cells,
            timeout,
        })
    }

    fn __repr__(&self) -> String {
        format!("<PreparedStatement {:?}>", self.inner.get_statement())
    }
}

/// A `PreparedStatement` with its parameters already converted: `prepared.bind(values)`.
#[pyclass(module = "aiocql", name = "BoundStatement", frozen)]
pub(crate) struct BoundStatement {
    statement: Py<PreparedStatement>,
    prepared: ScyllaPrepared,
    cells: SerializedCells,
    timeout: Option<Duration>,
}

impl BoundStatement {
    /// The Rust driver's bound statement (the converted values are copied, not redone).
    pub(crate) fn to_scylla(&self) -> Result<ScyllaBound, BindError> {
        bind_cells(self.prepared.clone(), &self.cells)
    }

    /// The statement with its options, and the converted values: for a batch.
    pub(crate) fn parts(&self) -> (ScyllaPrepared, SerializedCells) {
        (self.prepared.clone(), self.cells.clone())
    }

    /// The statement's own timeout (a call's `timeout=` wins over it).
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

#[pymethods]
impl BoundStatement {
    /// The `PreparedStatement` this was bound from.
    #[getter]
    fn prepared_statement(&self, py: Python<'_>) -> Py<PreparedStatement> {
        self.statement.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("<BoundStatement {:?}>", self.prepared.get_statement())
    }
}
