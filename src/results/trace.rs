//! A traced request's trace: where its id comes from, and how `get_query_trace()` fetches it
//! (through [`TraceSource`], which the execution layer implements).

use std::sync::Arc;

use pyo3::prelude::*;
use uuid::Uuid;

use crate::bridge::PendingRequest;

/// Fetches the trace of a request from the cluster's `system_traces` tables.
pub(crate) trait TraceSource: Send + Sync {
    /// The trace `id`, as an `aiocql.tracing.QueryTrace`, within `timeout=` as given.
    fn fetch(self: Arc<Self>, id: Uuid, timeout: Option<f64>) -> PyResult<PendingRequest>;
}

/// The trace of one result: its id, and where to fetch it from.
pub(crate) type TraceLink = (Uuid, Arc<dyn TraceSource>);
