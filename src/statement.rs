//! Prepared statements and parameter binding.
//!
//! Binding happens on the event-loop thread, with the GIL, before anything is spawned: every
//! parameter is converted with the CQL type the server reported for its bind marker, and the
//! first bad value raises a `ParameterTypeError`/`ParameterValueError` that names it. Nothing is
//! sent unless every parameter converted.

use std::ops::Range;
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use scylla::serialize::row::{RowSerializationContext, SerializeRow};
use scylla::serialize::writers::RowWriter;
use scylla::serialize::SerializationError;
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

use crate::errors::{BindError, BindErrorKind};
use crate::options::{PreparedSettings, StatementOptions};
use crate::types::{bind_error, cql_type_name, describe, is_unset_value, serialize};

/// A statement parsed and planned by the server once, executed many times with new values.
///
/// Get one with `await session.prepare("... WHERE id = ?")`; pass it to `session.execute()`.
#[pyclass(module = "aiocql", name = "PreparedStatement", frozen)]
pub struct PreparedStatement {
    pub inner: ScyllaPrepared,
    settings: Mutex<PreparedSettings>,
}

impl PreparedStatement {
    pub fn new(inner: ScyllaPrepared) -> Self {
        PreparedStatement {
            inner,
            settings: Mutex::new(PreparedSettings::default()),
        }
    }

    fn settings(&self) -> MutexGuard<'_, PreparedSettings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The statement with this object's options applied, ready to bind; and its timeout.
    pub fn configured(&self) -> PyResult<(ScyllaPrepared, Option<std::time::Duration>)> {
        let options = StatementOptions::from_parts(&self.settings())?;
        let mut prepared = self.inner.clone();
        options.apply_to_prepared(&mut prepared);
        Ok((prepared, options.timeout))
    }

    /// Changes one setting, validating the result before keeping it.
    fn update(&self, change: impl FnOnce(&mut PreparedSettings)) -> PyResult<()> {
        let mut settings = self.settings();
        let mut candidate = settings.clone();
        change(&mut candidate);
        StatementOptions::from_parts(&candidate)?;
        *settings = candidate;
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
        self.settings().consistency
    }

    #[setter]
    fn set_consistency_level(&self, level: Option<i64>) -> PyResult<()> {
        self.update(|s| s.consistency = level)
    }

    /// `SERIAL` or `LOCAL_SERIAL`, for lightweight transactions (None: the server's default).
    #[getter]
    fn get_serial_consistency_level(&self) -> Option<i64> {
        self.settings().serial_consistency
    }

    #[setter]
    fn set_serial_consistency_level(&self, level: Option<i64>) -> PyResult<()> {
        self.update(|s| s.serial_consistency = level)
    }

    /// Rows per page (None: 5000).
    #[getter]
    fn get_fetch_size(&self) -> Option<i64> {
        self.settings().fetch_size
    }

    #[setter]
    fn set_fetch_size(&self, size: Option<i64>) -> PyResult<()> {
        self.update(|s| s.fetch_size = size)
    }

    /// Whether executing twice is harmless (lets retry and speculative policies repeat it).
    #[getter]
    fn get_is_idempotent(&self) -> bool {
        self.settings().idempotent
    }

    #[setter]
    fn set_is_idempotent(&self, idempotent: bool) {
        self.settings().idempotent = idempotent;
    }

    /// Seconds each execution may take (None: the session's `request_timeout`).
    #[getter]
    fn get_timeout(&self) -> Option<f64> {
        self.settings().timeout
    }

    #[setter]
    fn set_timeout(&self, timeout: Option<f64>) -> PyResult<()> {
        self.update(|s| s.timeout = timeout)
    }

    /// Client-side write timestamp in microseconds since the epoch (None: the server's clock).
    #[getter]
    fn get_timestamp(&self) -> Option<i64> {
        self.settings().timestamp
    }

    #[setter]
    fn set_timestamp(&self, timestamp: Option<i64>) {
        self.settings().timestamp = timestamp;
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
        let (prepared, timeout) = this.configured()?;
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
pub struct BoundStatement {
    statement: Py<PreparedStatement>,
    pub prepared: ScyllaPrepared,
    pub cells: SerializedCells,
    pub timeout: Option<std::time::Duration>,
}

impl BoundStatement {
    /// The Rust driver's bound statement (the converted values are copied, not redone).
    pub fn to_scylla(&self) -> Result<ScyllaBound, BindError> {
        bind_cells(self.prepared.clone(), &self.cells)
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

/// Parameter values already in CQL wire format, ready to be copied into the request frame.
#[derive(Clone)]
pub struct SerializedCells {
    data: Vec<u8>,
    cells: Vec<Cell>,
}

/// One bound parameter.
#[derive(Clone)]
enum Cell {
    Null,
    /// `UNSET_VALUE`: the server leaves the column as it is.
    Unset,
    Value(Range<usize>),
}

impl SerializeRow for SerializedCells {
    fn serialize(
        &self,
        ctx: &RowSerializationContext<'_>,
        writer: &mut RowWriter,
    ) -> Result<(), SerializationError> {
        if ctx.columns().len() != self.cells.len() {
            return Err(SerializationError::new(BindError::arity(format!(
                "the statement has {} bind markers but {} values were bound",
                ctx.columns().len(),
                self.cells.len()
            ))));
        }
        for cell in &self.cells {
            match cell {
                Cell::Null => {
                    writer.make_cell_writer().set_null();
                }
                Cell::Unset => {
                    writer.make_cell_writer().set_unset();
                }
                Cell::Value(range) => {
                    writer
                        .make_cell_writer()
                        .set_value(&self.data[range.clone()])
                        .map_err(SerializationError::new)?;
                }
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

/// The parameters as the caller gave them: by position or by name.
enum Parameters<'a, 'py> {
    None,
    Positional(Vec<Bound<'py, PyAny>>),
    Named(&'a Bound<'py, PyAny>),
}

/// Whether `parameters` holds any values (`None`, `[]`, `()` and `{}` do not).
pub fn has_parameters(parameters: Option<&Bound<'_, PyAny>>) -> bool {
    match parameters {
        None => false,
        Some(p) if p.is_none() => false,
        Some(p) => p.len().map(|n| n > 0).unwrap_or(true),
    }
}

fn classify<'a, 'py>(
    parameters: Option<&'a Bound<'py, PyAny>>,
) -> Result<Parameters<'a, 'py>, BindError> {
    let Some(p) = parameters.filter(|p| !p.is_none()) else {
        return Ok(Parameters::None);
    };
    if let Ok(list) = p.cast::<PyList>() {
        return Ok(Parameters::Positional(list.iter().collect()));
    }
    if let Ok(tuple) = p.cast::<PyTuple>() {
        return Ok(Parameters::Positional(tuple.iter().collect()));
    }
    if p.is_instance_of::<PyDict>()
        || (p.hasattr("keys").unwrap_or(false) && p.hasattr("__getitem__").unwrap_or(false))
    {
        return Ok(Parameters::Named(p));
    }
    if p.is_instance_of::<PyString>() || p.is_instance_of::<PyBytes>() {
        return Err(BindError {
            kind: BindErrorKind::Type,
            message: format!(
                "parameters must be a list or tuple (for ? markers) or a dict (for :name markers), \
                 got {}; for a single value write [value]",
                describe(p)
            ),
            parameter: None,
            column: None,
            cql_type: None,
            python_type: Some(crate::types::python_type_name(p)),
        });
    }
    // Any other iterable (a generator, a numpy array) is taken positionally.
    match p.try_iter().and_then(|it| it.collect::<PyResult<Vec<_>>>()) {
        Ok(values) => Ok(Parameters::Positional(values)),
        Err(_) => Err(BindError {
            kind: BindErrorKind::Type,
            message: format!(
                "parameters must be a list or tuple (for ? markers) or a dict (for :name markers), got {}",
                describe(p)
            ),
            parameter: None,
            column: None,
            cql_type: None,
            python_type: Some(crate::types::python_type_name(p)),
        }),
    }
}

/// Converts `parameters` for `prepared` and returns the statement ready to execute.
/// Takes the statement by value: callers hold a per-call copy already, so none is made here.
pub fn bind(
    prepared: ScyllaPrepared,
    parameters: Option<&Bound<'_, PyAny>>,
) -> Result<ScyllaBound, BindError> {
    let cells = serialize_parameters(&prepared, parameters)?;
    bind_cells(prepared, &cells)
}

/// The Rust driver's bound statement for values already converted.
fn bind_cells(prepared: ScyllaPrepared, cells: &SerializedCells) -> Result<ScyllaBound, BindError> {
    prepared
        .bind(cells)
        .map_err(|e| match e.downcast_ref::<BindError>() {
            Some(bind) => bind.clone(),
            None => BindError::arity(e.to_string()),
        })
}

/// Converts `parameters` to wire format for the bind markers of `prepared`.
pub fn serialize_parameters(
    prepared: &ScyllaPrepared,
    parameters: Option<&Bound<'_, PyAny>>,
) -> Result<SerializedCells, BindError> {
    let specs = prepared.get_variable_col_specs();
    let marker_names = || {
        specs
            .iter()
            .map(|s| s.name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let values: Vec<(String, Bound<'_, PyAny>)> = match classify(parameters)? {
        Parameters::None => Vec::new(),
        Parameters::Positional(values) => values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("#{i}"), v))
            .collect(),
        Parameters::Named(mapping) => {
            let mut values = Vec::with_capacity(specs.len());
            for spec in specs.iter() {
                match mapping.get_item(spec.name()) {
                    Ok(v) => values.push((format!("'{}'", spec.name()), v)),
                    Err(_) => {
                        return Err(BindError::arity(format!(
                            "missing parameter '{}'; the statement's bind markers are: {}",
                            spec.name(),
                            marker_names()
                        )))
                    }
                }
            }
            let known: std::collections::HashSet<&str> = specs.iter().map(|s| s.name()).collect();
            let keys = mapping
                .call_method0("keys")
                .and_then(|k| k.try_iter()?.collect::<PyResult<Vec<_>>>())
                .map_err(|e| BindError::arity(format!("cannot read the parameter names: {e}")))?;
            let unknown: Vec<String> = keys
                .iter()
                .filter(|k| {
                    k.cast::<PyString>()
                        .ok()
                        .and_then(|s| s.to_str().ok().map(|s| !known.contains(s)))
                        .unwrap_or(true)
                })
                .map(|k| k.repr().map(|r| r.to_string()).unwrap_or_default())
                .collect();
            if !unknown.is_empty() {
                return Err(BindError::arity(format!(
                    "unknown parameter(s) {}; the statement's bind markers are: {}",
                    unknown.join(", "),
                    marker_names()
                )));
            }
            values
        }
    };
    if values.len() != specs.len() {
        return Err(BindError::arity(format!(
            "the statement has {} bind marker(s) ({}) but {} parameter(s) were given",
            specs.len(),
            marker_names(),
            values.len()
        )));
    }

    let mut cells = SerializedCells {
        data: Vec::with_capacity(16 * values.len()),
        cells: Vec::with_capacity(values.len()),
    };
    for ((label, value), spec) in values.iter().zip(specs.iter()) {
        if value.is_none() {
            cells.cells.push(Cell::Null);
            continue;
        }
        if is_unset_value(value) {
            cells.cells.push(Cell::Unset);
            continue;
        }
        let start = cells.data.len();
        serialize(value, spec.typ(), &mut cells.data)
            .map_err(|e| bind_error(e, label, spec.name(), spec.typ(), value))?;
        cells.cells.push(Cell::Value(start..cells.data.len()));
    }
    Ok(cells)
}

impl SerializedCells {
    /// No values, for a batch statement without bind markers.
    pub fn empty() -> Self {
        SerializedCells {
            data: Vec::new(),
            cells: Vec::new(),
        }
    }
}
