//! [`RequestFuture`]: what a task waiting on an aiocql request sees.

use pyo3::exceptions::asyncio::{CancelledError, InvalidStateError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};
use tokio::task::AbortHandle;

pub(super) enum Outcome {
    Pending,
    Value(Py<PyAny>),
    Error(PyErr),
    Cancelled(Option<Py<PyAny>>),
}

pub(super) type Callbacks = Vec<(Py<PyAny>, Option<Py<PyAny>>)>;

/// The future a waiting asyncio task sees while an aiocql request is in flight.
///
/// It implements what `asyncio.Task` requires of a foreign future; users never hold one unless
/// they look at `task._fut_waiter`. Cancelling it aborts the request's Rust work.
#[pyclass(module = "aiocql._native")]
pub(crate) struct RequestFuture {
    #[pyo3(get, set, name = "_asyncio_future_blocking")]
    blocking: bool,
    event_loop: Py<PyAny>,
    outcome: Outcome,
    callbacks: Callbacks,
    abort: Option<AbortHandle>,
}

impl RequestFuture {
    /// A pending future of `event_loop`, marked as blocking its awaiting task.
    pub(super) fn new(event_loop: Py<PyAny>) -> Self {
        RequestFuture {
            blocking: true,
            event_loop,
            outcome: Outcome::Pending,
            callbacks: Vec::with_capacity(1),
            abort: None,
        }
    }

    /// The tokio task to abort if the future is cancelled.
    pub(super) fn set_abort(&mut self, abort: AbortHandle) {
        self.abort = Some(abort);
    }

    /// Resumed early (someone called `send()`): the task keeps waiting on this future.
    pub(super) fn wait_again(&mut self) {
        self.blocking = true;
    }

    pub(super) fn event_loop(&self) -> &Py<PyAny> {
        &self.event_loop
    }

    pub(super) fn is_pending(&self) -> bool {
        matches!(self.outcome, Outcome::Pending)
    }

    /// Stores the outcome and hands back the callbacks to run.
    pub(super) fn finish(&mut self, outcome: Outcome) -> Callbacks {
        self.outcome = outcome;
        self.abort = None;
        std::mem::take(&mut self.callbacks)
    }

    /// Marks the request cancelled and stops its Rust work; returns the callbacks to schedule.
    pub(super) fn cancel_work(&mut self, msg: Option<Py<PyAny>>) -> Callbacks {
        if let Some(abort) = self.abort.take() {
            abort.abort();
        }
        self.finish(Outcome::Cancelled(msg))
    }

    pub(super) fn outcome_result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.outcome {
            Outcome::Value(value) => Ok(value.clone_ref(py)),
            Outcome::Error(err) => Err(err.clone_ref(py)),
            Outcome::Cancelled(None) => Err(CancelledError::new_err(())),
            Outcome::Cancelled(Some(msg)) => Err(CancelledError::new_err((msg.clone_ref(py),))),
            Outcome::Pending => Err(InvalidStateError::new_err("Result is not set.")),
        }
    }
}

fn schedule_callbacks(
    py: Python<'_>,
    future: &Bound<'_, RequestFuture>,
    event_loop: &Py<PyAny>,
    callbacks: Callbacks,
) -> PyResult<()> {
    for (callback, context) in callbacks {
        let kwargs = PyDict::new(py);
        if let Some(context) = context {
            kwargs.set_item(intern!(py, "context"), context)?;
        }
        event_loop.bind(py).call_method(
            intern!(py, "call_soon"),
            (callback, future),
            Some(&kwargs),
        )?;
    }
    Ok(())
}

#[pymethods]
impl RequestFuture {
    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn done(&self) -> bool {
        !self.is_pending()
    }

    fn cancelled(&self) -> bool {
        matches!(self.outcome, Outcome::Cancelled(_))
    }

    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.outcome_result(py)
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match &self.outcome {
            Outcome::Value(_) => Ok(None),
            Outcome::Error(err) => Ok(Some(err.value(py).clone().into_any().unbind())),
            _ => self.outcome_result(py).map(|_| None),
        }
    }

    #[pyo3(signature = (callback, *, context=None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        callback: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut()?;
        if this.is_pending() {
            this.callbacks.push((callback, context));
            return Ok(());
        }
        let event_loop = this.event_loop.clone_ref(py);
        drop(this);
        schedule_callbacks(py, slf, &event_loop, vec![(callback, context)])
    }

    fn remove_done_callback(&mut self, py: Python<'_>, callback: Bound<'_, PyAny>) -> usize {
        let before = self.callbacks.len();
        self.callbacks
            .retain(|(cb, _)| !cb.bind(py).eq(&callback).unwrap_or(false));
        before - self.callbacks.len()
    }

    #[pyo3(signature = (msg=None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut()?;
        if !this.is_pending() {
            return Ok(false);
        }
        let callbacks = this.cancel_work(msg);
        let event_loop = this.event_loop.clone_ref(py);
        drop(this);
        schedule_callbacks(py, slf, &event_loop, callbacks)?;
        Ok(true)
    }

    fn __repr__(&self) -> &'static str {
        match self.outcome {
            Outcome::Pending => "<RequestFuture pending>",
            Outcome::Value(_) => "<RequestFuture finished>",
            Outcome::Error(_) => "<RequestFuture finished with an exception>",
            Outcome::Cancelled(_) => "<RequestFuture cancelled>",
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        for (callback, context) in &self.callbacks {
            visit.call(callback)?;
            if let Some(context) = context {
                visit.call(context)?;
            }
        }
        match &self.outcome {
            Outcome::Value(value) => visit.call(value)?,
            Outcome::Cancelled(Some(msg)) => visit.call(msg)?,
            _ => {}
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.callbacks.clear();
    }
}
