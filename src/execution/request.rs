//! The one way a session's request starts: when first awaited, check that the session is still
//! open, then build the work to spawn.

use std::sync::Arc;

use pyo3::prelude::*;
use scylla::client::session::Session as ScyllaSession;

use super::core::SessionCore;
use crate::bridge::{PendingRequest, Work};

/// A request on `core`'s session. `start` runs on the loop thread, with the GIL, when the
/// request is first awaited; it gets the session's core and the live driver session and returns
/// the work to spawn. A closed session raises `ConnectionClosed` instead.
pub(crate) fn request<F>(core: &Arc<SessionCore>, start: F) -> PendingRequest
where
    F: FnOnce(Python<'_>, Arc<SessionCore>, Arc<ScyllaSession>) -> PyResult<Work>
        + Send
        + Sync
        + 'static,
{
    let core = core.clone();
    PendingRequest::new(Box::new(move |py| {
        let session = core.live()?;
        start(py, core, session)
    }))
}
