//! `BatchStatement`: several statements sent as one request.
//!
//! Every statement's parameters are converted before anything is sent, so one bad value
//! rejects the whole batch client-side. Statements with parameters need their column types:
//! `PreparedStatement`s have them, and strings are prepared (once, through the session's cache)
//! by the execution layer before [`assemble`] runs.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyString;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;

use super::bind::{has_parameters, serialize_parameters, SerializedCells};
use super::options::StatementOptions;
use super::placeholders;
use super::prepared::{BoundStatement, PreparedStatement};
use crate::errors::{type_error, value_error, BindError};
use crate::interop::names::python_type_name;

/// An `aiocql.BatchStatement` as given to a call: its kind, options and entries, still Python
/// objects (they are read when the request is first awaited).
pub(crate) struct BatchArg {
    kind: BatchType,
    options: StatementOptions,
    entries: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
}

/// One statement of a batch, read.
pub(crate) enum BatchEntry {
    Prepared(ScyllaPrepared, Option<Py<PyAny>>),
    /// A `BoundStatement`: already converted.
    Bound(ScyllaPrepared, SerializedCells),
    /// A string with parameters: to prepare (through the session's cache) before assembling.
    ToPrepare(String, Py<PyAny>),
    Unprepared(String),
}

fn batch_type(value: i64) -> PyResult<BatchType> {
    match value {
        0 => Ok(BatchType::Logged),
        1 => Ok(BatchType::Unlogged),
        2 => Ok(BatchType::Counter),
        other => Err(value_error(format!(
            "batch_type must be BatchType.LOGGED, UNLOGGED or COUNTER, got {other}"
        ))),
    }
}

impl BatchArg {
    /// Reads an `aiocql.BatchStatement`'s kind and options, and takes its entries.
    pub(crate) fn parse(batch: &Bound<'_, PyAny>) -> PyResult<Self> {
        let options = StatementOptions::read(batch, false)?;
        let kind = batch_type(batch.getattr("batch_type")?.extract()?)?;
        let entries: Vec<(Py<PyAny>, Option<Py<PyAny>>)> = batch.getattr("_entries")?.extract()?;
        if entries.is_empty() {
            return Err(value_error("the batch has no statements; add() some first"));
        }
        Ok(BatchArg {
            kind,
            options,
            entries,
        })
    }

    /// The batch's own timeout (a call's `timeout=` wins over it).
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.options.timeout()
    }

    /// Reads each statement of the batch, in order.
    pub(crate) fn entries(&self, py: Python<'_>) -> PyResult<Vec<BatchEntry>> {
        self.entries
            .iter()
            .map(|(statement, parameters)| {
                let parameters = parameters.as_ref().filter(|p| !p.bind(py).is_none());
                read_entry(statement.bind(py), parameters)
            })
            .collect()
    }

    /// The batch to send, with every statement's values converted, in order. Every
    /// [`BatchEntry::ToPrepare`] must have been prepared first.
    pub(crate) fn assemble(
        &self,
        py: Python<'_>,
        entries: Vec<BatchEntry>,
    ) -> Result<(Batch, Vec<SerializedCells>), BindError> {
        let mut batch = Batch::new(self.kind);
        let mut values = Vec::with_capacity(entries.len());
        for (index, entry) in entries.into_iter().enumerate() {
            let numbered = |err: BindError| BindError {
                message: format!("batch statement #{index}: {}", err.message),
                ..err
            };
            match entry {
                BatchEntry::Prepared(prepared, parameters) => {
                    let cells =
                        serialize_parameters(&prepared, parameters.as_ref().map(|p| p.bind(py)))
                            .map_err(numbered)?;
                    batch.append_statement(prepared);
                    values.push(cells);
                }
                BatchEntry::Bound(prepared, cells) => {
                    batch.append_statement(prepared);
                    values.push(cells);
                }
                BatchEntry::Unprepared(text) => {
                    batch.append_statement(Statement::new(text));
                    values.push(SerializedCells::empty());
                }
                BatchEntry::ToPrepare(..) => {
                    return Err(numbered(BindError::arity(
                        "the statement was not prepared (a driver bug)".into(),
                    )))
                }
            }
        }
        self.options.apply_to(&mut batch);
        Ok((batch, values))
    }
}

fn read_entry(
    statement: &Bound<'_, PyAny>,
    parameters: Option<&Py<PyAny>>,
) -> PyResult<BatchEntry> {
    let py = statement.py();
    if let Ok(bound) = statement.cast::<BoundStatement>() {
        if parameters.is_some() {
            return Err(type_error(
                "a BoundStatement already has its parameters; add it without any",
            ));
        }
        let (prepared, cells) = bound.get().parts();
        return Ok(BatchEntry::Bound(prepared, cells));
    }
    if let Ok(prepared) = statement.cast::<PreparedStatement>() {
        let (prepared, _) = prepared.get().configured();
        return Ok(BatchEntry::Prepared(
            prepared,
            parameters.map(|p| p.clone_ref(py)),
        ));
    }
    let text: String = if let Ok(text) = statement.cast::<PyString>() {
        text.to_str()?.to_owned()
    } else if statement.hasattr("query_string")? {
        statement.getattr("query_string")?.extract()?
    } else {
        return Err(type_error(format!(
            "a batch holds str, SimpleStatement or PreparedStatement, got {}",
            python_type_name(statement)
        )));
    };
    Ok(match parameters {
        Some(p) if has_parameters(Some(p.bind(py))) => {
            // cassandra-driver's %s / %(name)s placeholders, bound server-side like ? and :name.
            let text = placeholders::translate(&text).into_owned();
            BatchEntry::ToPrepare(text, p.clone_ref(py))
        }
        _ => BatchEntry::Unprepared(text),
    })
}
