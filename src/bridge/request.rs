//! The three stages of a request: [`Start`] on the loop thread, [`Work`] on tokio, [`Completer`]
//! back on the loop thread.

use std::future::Future;
use std::pin::Pin;

use pyo3::prelude::*;

use crate::errors::DriverError;

/// Builds the Python result on the loop thread, once the Rust work is done.
pub(crate) type Completer = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
/// The Rust side of a request: network work that runs on tokio without the GIL.
pub(crate) type Work = Pin<Box<dyn Future<Output = Completer> + Send>>;
/// Runs on the loop thread when the request is first awaited; returns the work to spawn.
pub(crate) type Start = Box<dyn FnOnce(Python<'_>) -> PyResult<Work> + Send + Sync>;

/// A completer that raises `err`'s exception.
pub(crate) fn failure(err: DriverError) -> Completer {
    Box::new(move |py| Err(err.into_pyerr(py)))
}

/// Turns a driver result into a completer that raises the mapped exception or builds the value.
pub(crate) fn completer<T, F>(result: Result<T, DriverError>, build: F) -> Completer
where
    T: Send + 'static,
    F: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    Box::new(move |py| match result {
        Ok(value) => build(py, value),
        Err(err) => Err(err.into_pyerr(py)),
    })
}
