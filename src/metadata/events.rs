//! `HostEvents`, the consumer side of host events: an async iterator of `HostEvent`s. (The
//! producer, which watches the driver's view of the nodes, is `execution::host_events`.)

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use tokio::sync::mpsc::Receiver;

use super::hosts::{HostChange, HostEvent};
use crate::bridge::inbox::Inbox;
use crate::bridge::runtime::AbortOnDrop;
use crate::bridge::{Completer, PendingRequest, Ready};
use crate::errors::runtime_error;

/// Host events as they happen: ``async for event in events``. Made by
/// ``cluster.host_events()``; ends when the session it watches is closed, or after
/// ``close()``.
#[pyclass(module = "aiocql._native", name = "HostEvents")]
pub(crate) struct HostEvents {
    inbox: Inbox<HostChange>,
    watcher: Option<AbortOnDrop>,
}

impl HostEvents {
    pub(crate) fn new(receiver: Receiver<HostChange>, watcher: AbortOnDrop) -> Self {
        HostEvents {
            inbox: Inbox::new(receiver),
            watcher: Some(watcher),
        }
    }

    /// An item that has already arrived, if any.
    fn try_receive(&self) -> Option<Option<HostChange>> {
        if self.watcher.is_none() {
            return Some(None);
        }
        self.inbox.try_receive()
    }
}

/// The event of `item`, or the end of the iteration.
fn event(py: Python<'_>, item: Option<HostChange>) -> PyResult<Py<PyAny>> {
    match item {
        Some(change) => Ok(Py::new(py, HostEvent::new(py, change)?)?.into_any()),
        None => Err(PyStopAsyncIteration::new_err(())),
    }
}

#[pymethods]
impl HostEvents {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(item) = self.try_receive() {
            return Ok(Py::new(py, Ready::new(event(py, item)?))?.into_any());
        }
        let inbox = self.inbox.clone();
        let wait = PendingRequest::from_work(async move {
            inbox.receive().await;
            Box::new(move |py: Python<'_>| match inbox.take() {
                Some(item) => event(py, item),
                None => Err(runtime_error(
                    "another coroutine took this event: iterate host events from one task",
                )),
            }) as Completer
        });
        Ok(Py::new(py, wait)?.into_any())
    }

    /// Stop watching: iteration ends. Idempotent.
    fn close(&mut self) {
        self.watcher = None; // aborts the watcher
        self.inbox.close();
    }

    fn __repr__(&self) -> String {
        let state = if self.watcher.is_some() {
            "watching"
        } else {
            "closed"
        };
        format!("<HostEvents {state}>")
    }
}
