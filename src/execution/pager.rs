//! Paging, as the `scylla` crate's pager: a statement resolved into an [`Executable`] runs from
//! any [`PagingState`], for every page (`execute`), one page (`execute_page`, and
//! `fetch_next_page` through [`PageSource`]) or a stream (`execution::stream`).

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use scylla::client::session::Session as ScyllaSession;
use scylla::errors::ExecutionError;
use scylla::response::query_result::QueryResult;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::unprepared::Statement;

use super::core::SessionCore;
use super::deadline::{deadline, with_timeout};
use super::hosts::with_host_errors;
use super::profiles::Routing;
use super::request::request;
use crate::bridge::{completer, failure, Completer, PendingRequest, Work};
use crate::errors::DriverResult;
use crate::interop::args;
use crate::results::context::ResultContext;
use crate::results::result_set::NextPage;

/// A statement ready to run from any paging state.
pub(crate) enum Executable {
    Bound(ScyllaBound),
    /// A statement without bind markers, sent as a QUERY.
    Unprepared(Statement),
}

/// One page and what the server said about the next one.
pub(crate) type Page = (QueryResult, PagingStateResponse);

/// Every page of a result, boxed.
///
/// The driver's request future is ~8 KB. Boxed here, it is built on the I/O thread when the
/// request is first polled, and the work handed over from the asyncio thread stays a few hundred
/// bytes: the asyncio thread does not copy 8 KB per request.
pub(crate) type Fetch<'a> =
    Pin<Box<dyn Future<Output = DriverResult<Vec<QueryResult>>> + Send + 'a>>;

impl Executable {
    /// The statement, run as `routing` says (its profile, and who counts its speculation).
    pub(crate) fn with_routing(mut self, routing: Routing) -> Self {
        let Routing {
            handle,
            listener,
            tracing,
        } = routing;
        match &mut self {
            Executable::Bound(bound) => {
                bound.set_tracing(tracing);
                if handle.is_some() {
                    bound.set_execution_profile_handle(handle);
                }
                if let Some(listener) = listener {
                    bound.set_history_listener(listener);
                }
            }
            Executable::Unprepared(statement) => {
                statement.set_tracing(tracing);
                if handle.is_some() {
                    statement.set_execution_profile_handle(handle);
                }
                if let Some(listener) = listener {
                    statement.set_history_listener(listener);
                }
            }
        }
        self
    }

    /// One page, starting at `state`.
    pub(crate) async fn page(
        &self,
        session: &ScyllaSession,
        state: PagingState,
    ) -> DriverResult<Page> {
        let page = match self {
            Executable::Bound(bound) => session.execute_bound_single_page(bound, state).await,
            Executable::Unprepared(statement) => {
                session
                    .query_single_page(statement.clone(), (), state)
                    .await
            }
        };
        page.map_err(|e| with_host_errors(session, e.into()))
    }

    /// Every page from `state` on.
    ///
    /// Each variant drives the driver's future directly: an extra `async fn` layer would move
    /// its ~8 KB state once more per page.
    pub(crate) fn fetch_all<'a>(
        &'a self,
        session: &'a ScyllaSession,
        state: PagingState,
    ) -> Fetch<'a> {
        match self {
            Executable::Bound(bound) => Box::pin(all_pages(
                session,
                move |state| session.execute_bound_single_page(bound, state),
                state,
            )),
            Executable::Unprepared(statement) => Box::pin(all_pages(
                session,
                move |state| session.query_single_page(statement.clone(), (), state),
                state,
            )),
        }
    }
}

/// Runs `page` from `state` until the server says there are no more pages.
async fn all_pages<F, Fut>(
    session: &ScyllaSession,
    mut page: F,
    mut state: PagingState,
) -> DriverResult<Vec<QueryResult>>
where
    F: FnMut(PagingState) -> Fut,
    Fut: Future<Output = Result<Page, ExecutionError>>,
{
    let mut pages = Vec::new();
    loop {
        let (result, next) = page(state)
            .await
            .map_err(|e| with_host_errors(session, e.into()))?;
        pages.push(result);
        match next.into_paging_control_flow() {
            ControlFlow::Break(()) => return Ok(pages),
            ControlFlow::Continue(next) => state = next,
        }
    }
}

/// Where the next page of a one-page result comes from: `rs.fetch_next_page()`.
pub(crate) struct PageSource {
    core: Arc<SessionCore>,
    executable: Arc<Executable>,
    /// The deadline of the call that made the first page: the default of the next ones.
    timeout: Option<Duration>,
    context: ResultContext,
}

impl NextPage for PageSource {
    fn fetch(self: Arc<Self>, state: Arc<[u8]>, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = deadline(args::timeout(timeout)?, None, self.timeout);
        let core = self.core.clone();
        let source = self;
        Ok(request(&core, move |_py, _core, session| {
            Ok(Box::pin(async move {
                let state = PagingState::new_from_raw_bytes(state);
                let result =
                    with_timeout(timeout, "request", source.executable.page(&session, state)).await;
                page_completer(result, source)
            }) as Work)
        }))
    }
}

/// The first page of `execute_page`: a result set that knows how to fetch the next one.
pub(crate) fn first_page_completer(
    result: DriverResult<(Executable, Page)>,
    core: Arc<SessionCore>,
    timeout: Option<Duration>,
    context: ResultContext,
) -> Completer {
    let (executable, page) = match result {
        Ok((executable, page)) => (Arc::new(executable), page),
        Err(err) => return failure(err),
    };
    let source = PageSource {
        core,
        executable,
        timeout,
        context,
    };
    page_completer(Ok(page), Arc::new(source))
}

fn page_completer(result: DriverResult<Page>, source: Arc<PageSource>) -> Completer {
    completer(result, move |py, (page, next)| {
        let state = match next {
            PagingStateResponse::HasMorePages { state } => state.as_bytes_slice().cloned(),
            PagingStateResponse::NoMorePages => None,
        };
        let context = source.context.clone();
        let next = state.map(|state| (state, source as Arc<dyn NextPage>));
        context.result_set(py, vec![page], next)
    })
}
