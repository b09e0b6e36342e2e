//! What a session has done: the `scylla` crate's own counters and latency histogram, and the
//! speculative executions it started (counted by a history listener, which the crate calls
//! for each speculative attempt), as one `SessionMetrics` snapshot.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use pyo3::prelude::*;
use scylla::errors::{RequestAttemptError, RequestError};
use scylla::observability::history::{AttemptId, HistoryListener, RequestId, SpeculativeId};
use scylla::observability::metrics::Metrics;
use scylla::policies::retry::RetryDecision;

/// Counts the speculative attempts of the requests it is attached to (those of profiles with
/// a speculative execution policy; the others need no listener).
#[derive(Debug, Default)]
pub(crate) struct SpeculationCounter {
    started: AtomicU64,
    ids: AtomicUsize,
}

impl SpeculationCounter {
    pub(crate) fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    fn next_id(&self) -> usize {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }
}

impl HistoryListener for SpeculationCounter {
    fn log_request_start(&self) -> RequestId {
        RequestId(self.next_id())
    }

    fn log_request_success(&self, _request_id: RequestId) {}

    fn log_request_error(&self, _request_id: RequestId, _error: &RequestError) {}

    fn log_new_speculative_fiber(&self, _request_id: RequestId) -> SpeculativeId {
        self.started.fetch_add(1, Ordering::Relaxed);
        SpeculativeId(self.next_id())
    }

    fn log_attempt_start(
        &self,
        _request_id: RequestId,
        _speculative_id: Option<SpeculativeId>,
        _node_addr: SocketAddr,
    ) -> AttemptId {
        AttemptId(self.next_id())
    }

    fn log_attempt_success(&self, _attempt_id: AttemptId) {}

    fn log_attempt_error(
        &self,
        _attempt_id: AttemptId,
        _error: &RequestAttemptError,
        _retry_decision: &RetryDecision,
    ) {
    }
}

/// What a session has done since it connected: `session.metrics`.
///
/// A snapshot: read `session.metrics` again for newer figures. Counts are of requests as the
/// Rust driver sends them (each page of a paged result is one request).
///
///     m = session.metrics
///     print(m.requests, m.errors, m.retries, m.speculative_executions, m.latency_p99_ms)
#[pyclass(module = "aiocql", name = "SessionMetrics", frozen, get_all)]
pub(crate) struct SessionMetrics {
    /// Requests sent (every page counts).
    requests: u64,
    /// Requests that failed after every retry.
    errors: u64,
    /// Retries a retry policy decided.
    retries: u64,
    /// Speculative attempts started (by a `speculative_execution_policy`).
    speculative_executions: u64,
    /// Mean latency of successful requests in milliseconds (None before the first one).
    latency_mean_ms: Option<u64>,
    /// 99th percentile of that latency in milliseconds (None before the first request).
    latency_p99_ms: Option<u64>,
}

impl SessionMetrics {
    pub(crate) fn new(metrics: &Metrics, speculation: &SpeculationCounter) -> Self {
        SessionMetrics {
            requests: metrics.get_requests_unpaged_num()
                + metrics.get_requests_manually_paged_num(),
            errors: metrics.get_errors_unpaged_num() + metrics.get_errors_manually_paged_num(),
            retries: metrics.get_retries_num(),
            speculative_executions: speculation.started(),
            latency_mean_ms: metrics.get_latency_avg_ms().ok(),
            latency_p99_ms: metrics.get_latency_percentile_ms(99.0).ok(),
        }
    }
}

#[pymethods]
impl SessionMetrics {
    fn __repr__(&self) -> String {
        format!(
            "SessionMetrics(requests={}, errors={}, retries={}, speculative_executions={}, \
             latency_mean_ms={}, latency_p99_ms={})",
            self.requests,
            self.errors,
            self.retries,
            self.speculative_executions,
            shown(self.latency_mean_ms),
            shown(self.latency_p99_ms)
        )
    }
}

fn shown(value: Option<u64>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| v.to_string())
}
