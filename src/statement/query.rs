//! [`QueryArg`]: the `query` (and `parameters`) argument of a call, parsed once, whatever its
//! kind: a CQL string, a `SimpleStatement`, a `PreparedStatement`, a `BoundStatement` or a
//! `BatchStatement` (read by `batch::BatchArg`).

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyString;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

use super::bind::has_parameters;
use super::options::StatementOptions;
use super::placeholders;
use super::prepared::{BoundStatement, PreparedStatement};
use crate::errors::type_error;
use crate::interop::imports;
use crate::interop::names::python_type_name;

/// A call's `query` as given, parsed.
pub(crate) enum QueryArg {
    Statement(StatementArg),
    /// An `aiocql.BatchStatement`, read by `batch::BatchArg::parse` for the calls that run
    /// batches.
    Batch(Py<PyAny>),
}

/// A statement that returns pages. Nothing here has been bound yet: binding happens on the loop
/// thread when the call is first awaited.
pub(crate) enum StatementArg {
    /// A `BoundStatement`: its values are already converted.
    Bound(Py<BoundStatement>),
    /// A `PreparedStatement` with its options applied, and the call's parameters.
    Prepared {
        statement: ScyllaPrepared,
        timeout: Option<Duration>,
        parameters: Option<Py<PyAny>>,
    },
    /// CQL text (a `str` or a `SimpleStatement`) with its options. With parameters, its
    /// cassandra-driver placeholders are already translated and it must be prepared.
    Text {
        text: String,
        options: StatementOptions,
        parameters: Option<Py<PyAny>>,
    },
}

impl QueryArg {
    /// Reads `query` and `parameters`; refuses what cannot be run before any I/O.
    pub(crate) fn parse(
        query: &Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        if let Ok(prepared) = query.cast::<PreparedStatement>() {
            let (statement, timeout) = prepared.get().configured();
            return Ok(QueryArg::Statement(StatementArg::Prepared {
                statement,
                timeout,
                parameters: parameters.map(Bound::unbind),
            }));
        }
        if let Ok(bound) = query.cast::<BoundStatement>() {
            if has_parameters(parameters.as_ref()) {
                return Err(type_error(
                    "a BoundStatement already has its parameters; pass none to execute()",
                ));
            }
            return Ok(QueryArg::Statement(StatementArg::Bound(
                bound.clone().unbind(),
            )));
        }
        let (text, options) = if let Ok(text) = query.cast::<PyString>() {
            (text.to_str()?.to_owned(), StatementOptions::default())
        } else if query.is_instance(&imports::simple_statement_class(query.py())?)? {
            let text: String = query.getattr("query_string")?.extract()?;
            (text, StatementOptions::read(query, true)?)
        } else if query.is_instance(&imports::batch_statement_class(query.py())?)? {
            if has_parameters(parameters.as_ref()) {
                return Err(type_error(
                    "a BatchStatement carries the parameters of its statements; pass none",
                ));
            }
            return Ok(QueryArg::Batch(query.clone().unbind()));
        } else {
            return Err(type_error(format!(
                "query must be a str, a SimpleStatement, a PreparedStatement, a BoundStatement \
                 or a BatchStatement, got {}",
                python_type_name(query)
            )));
        };
        if !has_parameters(parameters.as_ref()) {
            return Ok(QueryArg::Statement(StatementArg::Text {
                text,
                options,
                parameters: None,
            }));
        }
        Ok(QueryArg::Statement(StatementArg::Text {
            // cassandra-driver's %s / %(name)s placeholders, bound server-side like ? and :name.
            text: placeholders::translate(&text).into_owned(),
            options,
            parameters: parameters.map(Bound::unbind),
        }))
    }

    /// The statement, for calls that read pages: a batch has none, and is refused.
    pub(crate) fn paged(self) -> PyResult<StatementArg> {
        match self {
            QueryArg::Statement(statement) => Ok(statement),
            QueryArg::Batch(_) => Err(type_error(
                "a BatchStatement has no pages: run it with execute_batch()",
            )),
        }
    }
}

impl StatementArg {
    /// The statement's own timeout (a call's `timeout=` wins over it).
    pub(crate) fn timeout(&self, py: Python<'_>) -> Option<Duration> {
        match self {
            StatementArg::Bound(bound) => bound.bind(py).get().timeout(),
            StatementArg::Prepared { timeout, .. } => *timeout,
            StatementArg::Text { options, .. } => options.timeout(),
        }
    }
}
