//! One completion queue per asyncio event loop, drained by a reader callback on the loop.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::future::{Outcome, RequestFuture};
use super::request::Completer;
use super::runtime;
use super::wake_queue::WakeQueue;
use crate::errors::runtime_error;
use crate::interop::imports;
use crate::interop::sync::lock;

/// A finished request waiting for the loop thread: its future and how to build its value.
struct Completion {
    future: Py<RequestFuture>,
    completer: Completer,
}

/// How long one drain may run before yielding to the event loop.
const DRAIN_BUDGET: Duration = Duration::from_micros(500);

/// Completion queue of one asyncio event loop.
pub(crate) struct Bridge {
    event_loop: Py<PyAny>,
    queue: WakeQueue<Completion>,
}

impl Bridge {
    pub(super) fn event_loop(&self) -> &Py<PyAny> {
        &self.event_loop
    }

    /// Hands a finished request to the loop thread (called on the I/O thread).
    pub(super) fn push(&self, future: Py<RequestFuture>, completer: Completer) {
        self.queue.push(Completion { future, completer });
    }

    /// Completes the queued requests, for at most [`DRAIN_BUDGET`]: each completion also runs
    /// the awaiting task's next step, and a burst of thousands must not hold the loop away
    /// from its timers and other callbacks. The rest waits for the loop's next turn.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let started = Instant::now();
        let mut completions = self.queue.take().into_iter();
        while let Some(completion) = completions.next() {
            let outcome = complete(py, completion);
            if outcome.is_err() || started.elapsed() >= DRAIN_BUDGET {
                // On error (KeyboardInterrupt or SystemExit from a task step) the loop stops,
                // as with asyncio's own callbacks; the other completions stay queued.
                self.queue.requeue(completions.collect());
                return outcome;
            }
        }
        Ok(())
    }
}

/// Sets the outcome of one request and wakes its awaiting task. Errors are only those that must
/// stop the event loop (BaseException that is not an Exception).
fn complete(py: Python<'_>, completion: Completion) -> PyResult<()> {
    let future = completion.future.bind(py);
    // A cancelled awaiter has already moved on; its result is dropped unconverted.
    if !future.try_borrow().is_ok_and(|state| state.is_pending()) {
        return Ok(());
    }
    let outcome = match (completion.completer)(py) {
        Ok(value) => Outcome::Value(value),
        Err(err) => Outcome::Error(err),
    };
    let callbacks = match future.try_borrow_mut() {
        Ok(mut state) if state.is_pending() => state.finish(outcome),
        _ => return Ok(()),
    };
    for (callback, context) in callbacks {
        let called = match &context {
            Some(context) => context
                .bind(py)
                .call_method1(intern!(py, "run"), (&callback, future)),
            None => callback.bind(py).call1((future,)),
        };
        if let Err(err) = called {
            if !err.is_instance_of::<PyException>(py) {
                return Err(err);
            }
            report_callback_error(py, future, &callback, err);
        }
    }
    Ok(())
}

/// What asyncio does with an exception raised by a callback: hand it to the loop's handler.
fn report_callback_error(
    py: Python<'_>,
    future: &Bound<'_, RequestFuture>,
    callback: &Py<PyAny>,
    err: PyErr,
) {
    let reported = (|| -> PyResult<()> {
        let event_loop = future.try_borrow()?.event_loop().clone_ref(py);
        let context = PyDict::new(py);
        context.set_item("message", "Exception in an aiocql request callback")?;
        context.set_item("exception", err.value(py))?;
        context.set_item("future", future)?;
        context.set_item("callback", callback)?;
        event_loop
            .bind(py)
            .call_method1(intern!(py, "call_exception_handler"), (context,))?;
        Ok(())
    })();
    if reported.is_err() {
        err.write_unraisable(py, Some(future.as_any()));
    }
}

/// The loop's reader callback; exists only to be registered with `loop.add_reader`.
#[pyclass(module = "aiocql._native", frozen)]
pub(crate) struct LoopBridge {
    inner: Arc<Bridge>,
}

#[pymethods]
impl LoopBridge {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.drain(py)
    }
}

static BRIDGES: Mutex<Vec<Arc<Bridge>>> = Mutex::new(Vec::new());
/// Bumped when bridges are dropped or the process forks, so per-thread caches re-validate.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LAST_BRIDGE: RefCell<Option<(usize, u64, Arc<Bridge>)>> = const { RefCell::new(None) };
}

/// The bridge of the running loop, created and registered with the loop on first use.
pub(super) fn current_bridge(py: Python<'_>) -> PyResult<Arc<Bridge>> {
    let event_loop = imports::get_running_loop(py)?.call0()?;
    let key = event_loop.as_ptr() as usize;
    let generation = GENERATION.load(Ordering::Acquire);
    let cached = LAST_BRIDGE.with(|cell| match cell.try_borrow().as_deref() {
        Ok(Some((k, g, bridge))) if *k == key && *g == generation => Some(bridge.clone()),
        _ => None,
    });
    if let Some(bridge) = cached {
        return Ok(bridge);
    }
    let bridge = find_or_create_bridge(py, &event_loop)?;
    LAST_BRIDGE.with(|cell| {
        if let Ok(mut last) = cell.try_borrow_mut() {
            *last = Some((key, GENERATION.load(Ordering::Acquire), bridge.clone()));
        }
    });
    Ok(bridge)
}

fn find_or_create_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Bridge>> {
    let mut bridges = lock(&BRIDGES);
    if let Some(bridge) = bridges
        .iter()
        .find(|b| b.event_loop.as_ptr() == event_loop.as_ptr())
    {
        return Ok(bridge.clone());
    }
    // Forget bridges of loops that were closed (pytest and asyncio.run make a loop per run).
    // The registry holds a strong reference to each loop, so a live loop's address is never
    // reused by another loop while its bridge is registered.
    let before = bridges.len();
    bridges.retain(|b| {
        !b.event_loop
            .bind(py)
            .call_method0(intern!(py, "is_closed"))
            .and_then(|c| c.is_truthy())
            .unwrap_or(true)
    });
    if bridges.len() != before {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }

    let queue = WakeQueue::new()
        .map_err(|e| runtime_error(format!("cannot create the asyncio wake-up socket: {e}")))?;
    let fd = queue.fd();
    let bridge = Arc::new(Bridge {
        event_loop: event_loop.clone().unbind(),
        queue,
    });
    let callback = Py::new(
        py,
        LoopBridge {
            inner: bridge.clone(),
        },
    )?;
    event_loop
        .call_method1(intern!(py, "add_reader"), (fd, callback))
        .map_err(|e| {
            runtime_error(format!(
                "aiocql needs an event loop that supports add_reader() (asyncio's selector \
                 loop or uvloop): {}",
                e.value(py)
            ))
        })?;
    bridges.push(bridge.clone());
    Ok(bridge)
}

/// Called in the child after `os.fork()`: the parent's I/O threads and loops do not exist here.
///
/// Connections inherited from the parent must not be used by the child either.
#[pyfunction]
pub(crate) fn _reset_after_fork() {
    runtime::forget_after_fork();
    let stale = std::mem::take(&mut *lock(&BRIDGES));
    std::mem::forget(stale);
    GENERATION.fetch_add(1, Ordering::SeqCst);
}
