//! Query tracing: a call with `trace=True` asks the server to trace its request, and its
//! result fetches the trace from `system_traces` when `get_query_trace()` is awaited.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use scylla::observability::tracing::TracingInfo;
use uuid::Uuid;

use super::core::SessionCore;
use super::deadline::{deadline, with_timeout};
use super::request::request;
use crate::bridge::{completer, PendingRequest, Work};
use crate::errors::DriverError;
use crate::interop::{args, imports};
use crate::results::context::ResultContext;
use crate::results::trace::TraceSource;

/// A session's traces, for the results of its traced calls.
pub(crate) struct SessionTraces {
    core: Arc<SessionCore>,
}

impl SessionTraces {
    pub(crate) fn source(core: Arc<SessionCore>) -> Arc<dyn TraceSource> {
        Arc::new(SessionTraces { core })
    }
}

impl TraceSource for SessionTraces {
    fn fetch(self: Arc<Self>, id: Uuid, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = deadline(args::timeout(timeout)?, None, self.core.default_timeout());
        Ok(request(&self.core, move |_py, _core, session| {
            Ok(Box::pin(async move {
                let result = with_timeout(timeout, "trace", async {
                    session
                        .get_tracing_info(&id)
                        .await
                        .map_err(DriverError::from)
                })
                .await;
                completer(result, move |py, info| query_trace(py, id, info))
            }) as Work)
        }))
    }
}

/// An `aiocql.tracing.QueryTrace` of the trace `id`.
fn query_trace(py: Python<'_>, id: Uuid, info: TracingInfo) -> PyResult<Py<PyAny>> {
    let text = |address: Option<std::net::IpAddr>| address.map(|a| a.to_string());
    let fields = PyDict::new(py);
    fields.set_item("trace_id", id.to_string())?;
    fields.set_item("request_type", info.request)?;
    fields.set_item("command", info.command)?;
    fields.set_item("coordinator", text(info.coordinator))?;
    fields.set_item("client", text(info.client))?;
    fields.set_item("duration_us", info.duration)?;
    fields.set_item("started_at_ms", info.started_at.map(|t| t.0))?;
    fields.set_item("parameters", info.parameters)?;
    let events = PyList::empty(py);
    for event in info.events {
        events.append((
            event.event_id.as_ref().to_string(),
            event.activity,
            text(event.source),
            event.source_elapsed,
            event.thread,
        ))?;
    }
    fields.set_item("events", events)?;
    Ok(imports::query_trace_constructor(py)?
        .call1((fields,))?
        .unbind())
}

/// How the result of a call on `core` is built: with `row_factory` (None: the session's), and
/// able to fetch its trace when the call asked for `tracing`.
pub(crate) fn result_context(
    core: &Arc<SessionCore>,
    row_factory: Option<Arc<Py<PyAny>>>,
    tracing: bool,
) -> ResultContext {
    let context = core.result_context(row_factory);
    if tracing {
        context.traced(SessionTraces::source(core.clone()))
    } else {
        context
    }
}
