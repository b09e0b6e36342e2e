//! The awaitables a driver call returns: [`PendingRequest`] (a request, started when first
//! awaited) and [`Ready`] (a value already there). Both speak the awaitable protocol through one
//! implementation, [`awaitable_protocol!`], over their own [`Resume`] step.

use std::future::Future;
use std::sync::Mutex;

use pyo3::exceptions::{PyBaseException, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyType;
use tokio::task::AbortHandle;

use super::future::RequestFuture;
use super::loop_bridge::current_bridge;
use super::request::{Start, Work};
use super::runtime;
use crate::errors::runtime_error;
use crate::interop::sync::into_inner;

/// One step of an awaitable: what `__next__`/`send` yield (`Ok(Some)`), return (a
/// `StopIteration` error) or raise; and what `throw`/`close` stop.
trait Resume {
    fn resume(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>>;
    fn stop(&mut self, py: Python<'_>);
}

/// The awaitable protocol (`__await__`, `__iter__`, `__next__`, `send`, `throw`, `close`) of a
/// `#[pyclass]` that implements [`Resume`].
macro_rules! awaitable_protocol {
    ($class:ty) => {
        #[pymethods]
        impl $class {
            fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
                slf
            }

            fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
                slf
            }

            fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
                Resume::resume(self, py)
            }

            #[pyo3(signature = (_value=None))]
            fn send(
                &mut self,
                py: Python<'_>,
                _value: Option<Bound<'_, PyAny>>,
            ) -> PyResult<Option<Py<PyAny>>> {
                Resume::resume(self, py)
            }

            /// Called by the awaiting coroutine when an exception (typically `CancelledError`)
            /// is thrown into it: the work stops and the exception propagates.
            #[pyo3(signature = (typ, value=None, _traceback=None))]
            fn throw(
                &mut self,
                py: Python<'_>,
                typ: Bound<'_, PyAny>,
                value: Option<Bound<'_, PyAny>>,
                _traceback: Option<Bound<'_, PyAny>>,
            ) -> PyResult<Option<Py<PyAny>>> {
                Resume::stop(self, py);
                Err(exception_from_throw(&typ, value.as_ref()))
            }

            fn close(&mut self, py: Python<'_>) {
                Resume::stop(self, py);
            }
        }
    };
}

/// The exception `throw(typ, value)` asks to raise, built as generators do.
fn exception_from_throw(typ: &Bound<'_, PyAny>, value: Option<&Bound<'_, PyAny>>) -> PyErr {
    if let Some(value) = value.filter(|v| !v.is_none()) {
        if value.is_instance_of::<PyBaseException>() {
            return PyErr::from_value(value.clone());
        }
        if let Ok(cls) = typ.cast::<PyType>() {
            return match cls.call1((value,)) {
                Ok(exc) => PyErr::from_value(exc),
                Err(e) => e,
            };
        }
    }
    if typ.is_instance_of::<PyBaseException>() {
        return PyErr::from_value(typ.clone());
    }
    match typ.call0() {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

enum State {
    NotStarted(Start),
    Waiting {
        future: Py<RequestFuture>,
        abort: AbortHandle,
    },
    Finished,
}

/// An in-flight driver call. Await it once; cancelling the awaiting task cancels the call.
#[pyclass(module = "aiocql._native")]
pub(crate) struct PendingRequest {
    state: State,
}

impl PendingRequest {
    /// A request whose `start` runs when it is first awaited.
    pub(crate) fn new(start: Start) -> Self {
        PendingRequest {
            state: State::NotStarted(start),
        }
    }

    /// A request that needs no Python work before the network: `work` is spawned when awaited.
    pub(crate) fn from_work<F>(work: F) -> Self
    where
        F: Future<Output = super::request::Completer> + Send + 'static,
    {
        // A Mutex makes the not-Sync future shareable; it is taken exactly once.
        let work = Mutex::new(Box::pin(work) as Work);
        Self::new(Box::new(move |_py| Ok(into_inner(work))))
    }

    /// Runs the start step, spawns the work and returns the future the task waits on.
    fn start(&mut self, py: Python<'_>, start: Start) -> PyResult<Option<Py<PyAny>>> {
        let work = start(py)?;
        let bridge = current_bridge(py)?;
        let future = Py::new(py, RequestFuture::new(bridge.event_loop().clone_ref(py)))?;
        let target = future.clone_ref(py);
        let abort = runtime::spawn(async move {
            let completer = work.await;
            bridge.push(target, completer);
        })?;
        future.try_borrow_mut(py)?.set_abort(abort.clone());
        let yielded = future.clone_ref(py).into_any();
        self.state = State::Waiting { future, abort };
        Ok(Some(yielded))
    }
}

impl Resume for PendingRequest {
    fn resume(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::NotStarted(start) => self.start(py, start),
            State::Waiting { future, abort } => {
                let mut state = future.try_borrow_mut(py)?;
                if state.is_pending() {
                    state.wait_again();
                    drop(state);
                    let yielded = future.clone_ref(py).into_any();
                    self.state = State::Waiting { future, abort };
                    return Ok(Some(yielded));
                }
                let value = state.outcome_result(py)?;
                Err(PyStopIteration::new_err((value,)))
            }
            State::Finished => Err(runtime_error(
                "this aiocql request was already awaited; call the method again for a new request",
            )),
        }
    }

    fn stop(&mut self, py: Python<'_>) {
        if let State::Waiting { future, abort } =
            std::mem::replace(&mut self.state, State::Finished)
        {
            abort.abort();
            // The task throwing into us is awake already: its wake-up callback is dropped.
            if let Ok(mut future) = future.bind(py).try_borrow_mut() {
                if future.is_pending() {
                    drop(future.cancel_work(None));
                }
            }
        }
    }
}

awaitable_protocol!(PendingRequest);

impl Drop for PendingRequest {
    fn drop(&mut self) {
        // Dropped while in flight (the awaiting coroutine was garbage-collected): stop the work.
        if let State::Waiting { abort, .. } = &self.state {
            abort.abort();
        }
    }
}

/// An awaitable that is already complete: awaiting it costs no scheduling at all.
///
/// [`Ready::after_yield`] first yields once to the event loop (as `asyncio.sleep(0)` does), so
/// that a long run of already-complete awaits cannot starve the loop's other tasks.
#[pyclass(module = "aiocql._native")]
pub(crate) struct Ready {
    value: Option<Py<PyAny>>,
    yield_first: bool,
}

impl Ready {
    pub(crate) fn new(value: Py<PyAny>) -> Self {
        Ready {
            value: Some(value),
            yield_first: false,
        }
    }

    /// Completes with `value` after one trip through the event loop's ready queue.
    pub(crate) fn after_yield(value: Py<PyAny>) -> Self {
        Ready {
            value: Some(value),
            yield_first: true,
        }
    }
}

impl Resume for Ready {
    fn resume(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.yield_first && self.value.is_some() {
            // A bare `yield`: the task reschedules itself with call_soon.
            self.yield_first = false;
            return Ok(Some(py.None()));
        }
        match self.value.take() {
            Some(value) => Err(PyStopIteration::new_err((value,))),
            None => Err(runtime_error("this awaitable was already awaited")),
        }
    }

    fn stop(&mut self, _py: Python<'_>) {
        self.value = None;
    }
}

awaitable_protocol!(Ready);
