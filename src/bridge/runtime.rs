//! The process-wide tokio runtime, and the count of requests in flight on it.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use crate::errors::runtime_error;
use crate::interop::sync::lock;

static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// One I/O thread unless `AIOCQL_WORKER_THREADS` says otherwise.
///
/// One asyncio thread produces the requests, and one tokio worker keeps up with it (the pure
/// Rust client does 100k+ requests/s per core). A second worker costs more than it gives: the
/// workers wake each other through futexes (see benchmarks/README.md).
fn worker_threads() -> usize {
    std::env::var("AIOCQL_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// The process-wide tokio runtime, built on first use.
pub(crate) fn handle() -> PyResult<Handle> {
    let mut guard = lock(&RUNTIME);
    if let Some(rt) = guard.as_ref() {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("aiocql-io")
        .enable_all()
        .build()
        .map_err(|e| runtime_error(format!("cannot start the aiocql I/O runtime: {e}")))?;
    let handle = rt.handle().clone();
    *guard = Some(rt);
    Ok(handle)
}

/// Spawns `work` on the runtime, counted in flight until it ends or is aborted.
pub(crate) fn spawn<F>(work: F) -> PyResult<AbortHandle>
where
    F: Future<Output = ()> + Send + 'static,
{
    let in_flight = InFlight::enter();
    let join = handle()?.spawn(async move {
        // Dropped when the task ends or is aborted: the count cannot leak.
        let _in_flight = in_flight;
        work.await
    });
    Ok(join.abort_handle())
}

/// Forgets the runtime in the child after `os.fork()`: the parent's I/O threads do not exist
/// there. The old runtime is leaked, not dropped: dropping would wait for threads that were not
/// copied by fork.
pub(crate) fn forget_after_fork() {
    if let Some(old) = lock(&RUNTIME).take() {
        std::mem::forget(old);
    }
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts spawned work until it finishes or is aborted.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Requests whose Rust work has been spawned and has not yet finished or been aborted.
///
/// For leak tests and diagnostics: after every awaiting task is done or cancelled this drops
/// back to zero (abort is asynchronous, so allow the runtime a moment).
#[pyfunction]
pub(crate) fn _in_flight_requests() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// Aborts a spawned task when dropped: the owner going away stops the work.
pub(crate) struct AbortOnDrop(pub(crate) AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
