//! Running a `BatchStatement`: its parameterised strings prepared through the session's cache,
//! every value converted before anything is sent, then one BATCH request.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use scylla::client::session::Session as ScyllaSession;
use scylla::response::query_result::QueryResult;
use scylla::statement::batch::Batch;

use super::core::SessionCore;
use super::deadline::with_timeout;
use super::hosts::with_host_errors;
use super::prepare::prepare_cached;
use super::prepared_cache::cache_key;
use super::profiles::Routing;
use super::request::request;
use super::tracing::result_context;
use crate::bridge::{completer, Completer, PendingRequest, Work};
use crate::errors::DriverResult;
use crate::results::context::ResultContext;
use crate::statement::batch::{BatchArg, BatchEntry};
use crate::statement::bind::SerializedCells;

/// `session.execute_batch(batch)` (or `execute(batch)`), within `timeout`, run as `routing` says.
pub(crate) fn execute(
    core: &Arc<SessionCore>,
    batch: BatchArg,
    timeout: Option<Duration>,
    row_factory: Option<Arc<Py<PyAny>>>,
    routing: Routing,
) -> PendingRequest {
    request(core, move |py, core, session| {
        let context = result_context(&core, row_factory, routing.tracing);
        let entries = batch
            .entries(py)?
            .into_iter()
            .map(|entry| from_cache(&core, &session, entry))
            .collect::<Vec<_>>();
        if !entries
            .iter()
            .any(|e| matches!(e, BatchEntry::ToPrepare(..)))
        {
            // Everything known: convert on this thread, before anything is sent.
            let (mut assembled, values) = batch.assemble(py, entries)?;
            apply(&mut assembled, routing);
            return Ok(Box::pin(async move {
                let result =
                    with_timeout(timeout, "batch", run(&session, &assembled, values)).await;
                completed(result, context)
            }) as Work);
        }
        Ok(Box::pin(async move {
            let result = with_timeout(timeout, "batch", async {
                let entries = prepare_missing(&core, &session, entries).await?;
                let (mut assembled, values) = Python::attach(|py| batch.assemble(py, entries))?;
                apply(&mut assembled, routing);
                run(&session, &assembled, values).await
            })
            .await;
            completed(result, context)
        }) as Work)
    })
}

/// Sets the batch's execution profile and speculation listener.
fn apply(batch: &mut Batch, routing: Routing) {
    batch.set_tracing(routing.tracing);
    if routing.handle.is_some() {
        batch.set_execution_profile_handle(routing.handle);
    }
    if let Some(listener) = routing.listener {
        batch.set_history_listener(listener);
    }
}

/// A string with parameters becomes its cached prepared statement, if there is one.
fn from_cache(core: &SessionCore, session: &ScyllaSession, entry: BatchEntry) -> BatchEntry {
    match entry {
        BatchEntry::ToPrepare(text, parameters) => match core.cached(&cache_key(session, &text)) {
            Some(prepared) => BatchEntry::Prepared(prepared, Some(parameters)),
            None => BatchEntry::ToPrepare(text, parameters),
        },
        other => other,
    }
}

async fn prepare_missing(
    core: &SessionCore,
    session: &ScyllaSession,
    entries: Vec<BatchEntry>,
) -> DriverResult<Vec<BatchEntry>> {
    let mut ready = Vec::with_capacity(entries.len());
    for entry in entries {
        ready.push(match entry {
            BatchEntry::ToPrepare(text, parameters) => {
                BatchEntry::Prepared(prepare_cached(core, session, text).await?, Some(parameters))
            }
            other => other,
        });
    }
    Ok(ready)
}

async fn run(
    session: &ScyllaSession,
    batch: &Batch,
    values: Vec<SerializedCells>,
) -> DriverResult<QueryResult> {
    session
        .batch(batch, values)
        .await
        .map_err(|e| with_host_errors(session, e.into()))
}

fn completed(result: DriverResult<QueryResult>, context: ResultContext) -> Completer {
    completer(result, move |py, page| {
        context.result_set(py, vec![page], None)
    })
}
