//! The producer side of `execute_stream`: a task on the I/O thread that fetches the pages.
//!
//! It reserves the channel's one slot *before* it requests a page, so it is never more than one
//! page ahead: memory stays bounded by two pages whatever the size of the result, and the server
//! is not pushed past what the consumer takes. (The consumer is `results::stream`.)

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use scylla::client::session::Session as ScyllaSession;
use scylla::response::PagingState;
use tokio::sync::mpsc::Sender;

use super::core::SessionCore;
use super::deadline::with_timeout;
use super::pager::Executable;
use super::resolve::Resolve;
use crate::bridge::runtime::{self, AbortOnDrop};
use crate::bridge::{failure, Completer, Work};
use crate::config::stream::StreamSettings;
use crate::errors::DriverError;
use crate::results::context::ResultContext;
use crate::results::stream::{page_channel, PageItem, StreamingResultSet};

/// Fetches the pages of one stream on the I/O thread.
struct Producer {
    /// The session's state, not the driver session itself: `session.close()` must end a stream
    /// at its next page, not leave it holding the connections open.
    core: Arc<SessionCore>,
    executable: Executable,
    state: PagingState,
    max_pages: Option<usize>,
    timeout: Option<Duration>,
    pages: Sender<PageItem>,
    requested: Arc<AtomicUsize>,
}

impl Producer {
    async fn run(self) {
        let Producer {
            core,
            executable,
            mut state,
            max_pages,
            timeout,
            pages,
            requested,
        } = self;
        let mut fetched = 0usize;
        while max_pages.is_none_or(|max| fetched < max) {
            // The slot first, the request second: this is what bounds the prefetch to one page.
            let Ok(slot) = pages.reserve().await else {
                return; // the stream was closed or dropped
            };
            let session = match core.live() {
                Ok(session) => session,
                Err(err) => return slot.send(Err(err)),
            };
            fetched += 1;
            requested.fetch_add(1, Ordering::SeqCst);
            let page = with_timeout(timeout, "page request", executable.page(&session, state));
            let (page, next) = match page.await {
                Ok(page) => page,
                Err(err) => return slot.send(Err(err)),
            };
            if page.is_rows() {
                match page.into_rows_result() {
                    // Empty pages (a server may send them) are counted but not handed over.
                    Ok(rows) if rows.rows_num() > 0 => slot.send(Ok(rows)),
                    Ok(_) => drop(slot),
                    Err(err) => {
                        return slot.send(Err(DriverError::Protocol(format!(
                            "cannot read the result: {err}"
                        ))))
                    }
                }
            }
            match next.into_paging_control_flow() {
                ControlFlow::Break(()) => return,
                ControlFlow::Continue(next) => state = next,
            }
        }
    }
}

/// The work of `await session.execute_stream(...)`: resolve the statement, start the producer,
/// and complete with the stream once the first page is in.
pub(crate) fn start(
    core: Arc<SessionCore>,
    session: Arc<ScyllaSession>,
    resolve: Resolve,
    state: PagingState,
    timeout: Option<Duration>,
    settings: StreamSettings,
    context: ResultContext,
) -> Work {
    Box::pin(async move {
        let executable = match with_timeout(timeout, "request", resolve.executable(&session)).await
        {
            Ok(executable) => executable,
            Err(err) => return failure(err),
        };
        let (sender, receiver) = page_channel();
        let requested = Arc::new(AtomicUsize::new(0));
        let producer = Producer {
            core,
            executable,
            state,
            max_pages: settings.max_pages,
            timeout,
            pages: sender,
            requested: requested.clone(),
        };
        // Owned from here: if this request is cancelled, dropping the handle stops the producer.
        let producer = match runtime::spawn(producer.run()) {
            Ok(abort) => AbortOnDrop(abort),
            Err(err) => return Box::new(move |_py: Python<'_>| Err(err)) as Completer,
        };
        receiver.receive().await;
        let first = receiver.take().flatten();
        let page_callback = settings.page_callback;
        Box::new(move |py: Python<'_>| {
            StreamingResultSet::open(
                py,
                receiver,
                first,
                producer,
                requested,
                context,
                page_callback,
            )
        }) as Completer
    })
}
