//! `BatchStatement` execution: several writes sent as one request.
//!
//! Every statement's parameters are converted before anything is sent, so one bad value
//! rejects the whole batch client-side. Statements with parameters need their column types:
//! `PreparedStatement`s have them, and strings are prepared once through the session's cache.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyString;
use scylla::client::session::Session as ScyllaSession;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;

use crate::errors::{type_error, value_error, BindError, DriverError, DriverResult};
use crate::options::StatementOptions;
use crate::runtime::{with_timeout, PendingRequest, Work};
use crate::session::{result_completer, SessionCore};
use crate::statement::{
    has_parameters, serialize_parameters, BoundStatement, PreparedStatement, SerializedCells,
};

/// One statement of a batch, as given.
enum Entry {
    Prepared(ScyllaPrepared, Option<Py<PyAny>>),
    /// A `BoundStatement`: already converted.
    Bound(ScyllaPrepared, SerializedCells),
    /// A string with parameters, not yet in the prepared cache.
    NeedsPrepare(String, Py<PyAny>),
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

fn numbered(index: usize, err: BindError) -> BindError {
    BindError {
        message: format!("batch statement #{index}: {}", err.message),
        ..err
    }
}

/// Starts `session.execute_batch(batch)`.
pub fn execute_batch(
    core: Arc<SessionCore>,
    batch: &Bound<'_, PyAny>,
    timeout_arg: Option<f64>,
    row_factory: Option<Arc<Py<PyAny>>>,
) -> PyResult<PendingRequest> {
    let options = StatementOptions::from_batch(batch)?;
    let kind = batch_type(batch.getattr("batch_type")?.extract()?)?;
    let raw: Vec<(Py<PyAny>, Option<Py<PyAny>>)> = batch.getattr("_entries")?.extract()?;
    if raw.is_empty() {
        return Err(value_error("the batch has no statements; add() some first"));
    }
    let timeout = crate::session::effective_timeout(
        timeout_arg,
        options.timeout,
        crate::session::parse_timeout(timeout_arg, core.default_timeout)?,
    );
    Ok(PendingRequest::new(Box::new(move |py| {
        let session = core.live()?;
        let mut entries = Vec::with_capacity(raw.len());
        for (statement, parameters) in &raw {
            let statement = statement.bind(py);
            let parameters = parameters.as_ref().filter(|p| !p.bind(py).is_none());
            if let Ok(bound) = statement.cast::<BoundStatement>() {
                if parameters.is_some() {
                    return Err(type_error(
                        "a BoundStatement already has its parameters; add it without any",
                    ));
                }
                let bound = bound.get();
                entries.push(Entry::Bound(bound.prepared.clone(), bound.cells.clone()));
                continue;
            }
            if let Ok(prepared) = statement.cast::<PreparedStatement>() {
                let (prepared, _) = prepared.get().configured()?;
                entries.push(Entry::Prepared(
                    prepared,
                    parameters.map(|p| p.clone_ref(py)),
                ));
                continue;
            }
            let text: String = if let Ok(text) = statement.cast::<PyString>() {
                text.to_str()?.to_owned()
            } else if statement.hasattr("query_string")? {
                statement.getattr("query_string")?.extract()?
            } else {
                return Err(type_error(format!(
                    "a batch holds str, SimpleStatement or PreparedStatement, got {}",
                    crate::types::python_type_name(statement)
                )));
            };
            match parameters {
                Some(p) if has_parameters(Some(p.bind(py))) => {
                    let text = crate::placeholders::translate(&text).into_owned();
                    let key = SessionCore::cache_key(&session, &text);
                    match core.cached(&key) {
                        Some(prepared) => {
                            entries.push(Entry::Prepared(prepared, Some(p.clone_ref(py))))
                        }
                        None => entries.push(Entry::NeedsPrepare(text, p.clone_ref(py))),
                    }
                }
                _ => entries.push(Entry::Unprepared(text)),
            }
        }
        let needs_prepare = entries.iter().any(|e| matches!(e, Entry::NeedsPrepare(..)));
        let context = core.result_context(row_factory.clone());
        if !needs_prepare {
            // Everything known: convert on this thread, before anything is sent.
            let (batch, values) =
                assemble(py, kind, &options, entries).map_err(|e| e.into_pyerr(py))?;
            return Ok(Box::pin(async move {
                let result = with_timeout(timeout, "batch", run(&session, &batch, values)).await;
                result_completer(result, context)
            }) as Work);
        }
        Ok(Box::pin(async move {
            let result = with_timeout(timeout, "batch", async {
                let entries = prepare_missing(&session, &core, entries).await?;
                let (batch, values) = Python::attach(|py| assemble(py, kind, &options, entries))?;
                run(&session, &batch, values).await
            })
            .await;
            result_completer(result, context)
        }) as Work)
    })))
}

async fn prepare_missing(
    session: &ScyllaSession,
    core: &SessionCore,
    entries: Vec<Entry>,
) -> DriverResult<Vec<Entry>> {
    let mut ready = Vec::with_capacity(entries.len());
    for entry in entries {
        ready.push(match entry {
            Entry::NeedsPrepare(text, parameters) => {
                let key = SessionCore::cache_key(session, &text);
                let prepared = session.prepare(Statement::new(text)).await?;
                core.remember(key, prepared.clone());
                Entry::Prepared(prepared, Some(parameters))
            }
            other => other,
        });
    }
    Ok(ready)
}

fn assemble(
    py: Python<'_>,
    kind: BatchType,
    options: &StatementOptions,
    entries: Vec<Entry>,
) -> Result<(Batch, Vec<SerializedCells>), BindError> {
    let mut batch = Batch::new(kind);
    let mut values = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        match entry {
            Entry::Prepared(prepared, parameters) => {
                let cells =
                    serialize_parameters(&prepared, parameters.as_ref().map(|p| p.bind(py)))
                        .map_err(|e| numbered(index, e))?;
                batch.append_statement(prepared);
                values.push(cells);
            }
            Entry::Bound(prepared, cells) => {
                batch.append_statement(prepared);
                values.push(cells);
            }
            Entry::Unprepared(text) => {
                batch.append_statement(Statement::new(text));
                values.push(SerializedCells::empty());
            }
            Entry::NeedsPrepare(..) => {
                return Err(BindError::arity(format!(
                    "batch statement #{index} was not prepared (a driver bug)"
                )))
            }
        }
    }
    options.apply_to_batch(&mut batch);
    Ok((batch, values))
}

async fn run(
    session: &ScyllaSession,
    batch: &Batch,
    values: Vec<SerializedCells>,
) -> DriverResult<Vec<scylla::response::query_result::QueryResult>> {
    let result = session
        .batch(batch, values)
        .await
        .map_err(DriverError::from)?;
    Ok(vec![result])
}
