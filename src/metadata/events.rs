//! `HostEvents`, the consumer side of host events: an async iterator of `HostEvent`s. (The
//! producer, which watches the driver's view of the nodes, is `execution::host_events`.)

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::mpsc::Receiver;

use super::hosts::{HostChange, HostEvent};
use crate::bridge::runtime::AbortOnDrop;
use crate::bridge::{Completer, PendingRequest, Ready};
use crate::errors::runtime_error;
use crate::interop::sync::lock;

/// The consumer's end of the channel, shared with the request that waits on it.
pub(crate) type ChangeReceiver = Arc<tokio::sync::Mutex<Receiver<HostChange>>>;

/// Host events as they happen: ``async for event in events``. Made by
/// ``cluster.host_events()``; ends when the session it watches is closed, or after
/// ``close()``.
#[pyclass(module = "aiocql._native", name = "HostEvents")]
pub(crate) struct HostEvents {
    receiver: ChangeReceiver,
    /// Items received by a waiting request: kept here, so that a consumer cancelled while an
    /// event was arriving loses nothing. `None` marks the end of the channel.
    inbox: Arc<Mutex<VecDeque<Option<HostChange>>>>,
    watcher: Option<AbortOnDrop>,
}

impl HostEvents {
    pub(crate) fn new(receiver: Receiver<HostChange>, watcher: AbortOnDrop) -> Self {
        HostEvents {
            receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            inbox: Arc::new(Mutex::new(VecDeque::new())),
            watcher: Some(watcher),
        }
    }

    /// An item that has already arrived, if any.
    fn try_receive(&self) -> Option<Option<HostChange>> {
        if self.watcher.is_none() {
            return Some(None);
        }
        if let Some(item) = lock(&self.inbox).pop_front() {
            return Some(item);
        }
        let mut receiver = self.receiver.try_lock().ok()?;
        match receiver.try_recv() {
            Ok(item) => Some(Some(item)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(None),
        }
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
        let (receiver, inbox) = (self.receiver.clone(), self.inbox.clone());
        let wait = PendingRequest::from_work(async move {
            let item = receiver.lock().await.recv().await;
            // No await between receiving and keeping: cancellation cannot lose the event.
            lock(&inbox).push_back(item);
            Box::new(move |py: Python<'_>| match lock(&inbox).pop_front() {
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
        lock(&self.inbox).clear();
        if let Ok(mut receiver) = self.receiver.try_lock() {
            receiver.close();
        }
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
