//! Paging: statements run page by page, paging tokens, and one page on request.
//!
//! Mirrors the `scylla` crate's pager concepts: a statement is resolved once into an
//! [`Executable`] (bound, or unprepared without values) and then run from a [`PagingState`]
//! any number of times, for every page (`execute`), one page (`execute_page`,
//! `fetch_next_page`) or a stream (`execute_stream`, in `stream.rs`).

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::{ready, Either, Ready};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use scylla::client::session::Session as ScyllaSession;
use scylla::errors::ExecutionError;
use scylla::response::query_result::QueryResult;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::unprepared::Statement;

use crate::errors::{type_error, value_error, DriverResult};
use crate::options::StatementOptions;
use crate::result::build_rows;
use crate::runtime::{completer, failure, with_timeout, Completer, PendingRequest, Work};
use crate::session::{parse_timeout, ResultContext, SessionCore, DEFAULT_PAGE_SIZE};
use crate::statement::bind;
use crate::types::with_user_types;

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
/// bytes: the asyncio thread no longer copies 8 KB per request (~8% of its time in profiles).
pub(crate) type Fetch<'a> =
    Pin<Box<dyn Future<Output = DriverResult<Vec<QueryResult>>> + Send + 'a>>;

impl Executable {
    /// One page, starting at `state`.
    pub(crate) async fn page(
        &self,
        session: &ScyllaSession,
        state: PagingState,
    ) -> DriverResult<Page> {
        Ok(match self {
            Executable::Bound(bound) => session.execute_bound_single_page(bound, state).await?,
            Executable::Unprepared(statement) => {
                session
                    .query_single_page(statement.clone(), (), state)
                    .await?
            }
        })
    }

    /// Every page from `state` on.
    ///
    /// Each variant drives the driver's future directly: an extra `async fn` layer would move
    /// its ~8 KB state once more per page (a memcpy the profiles showed at ~3% of a request).
    pub(crate) fn fetch_all<'a>(
        &'a self,
        session: &'a ScyllaSession,
        state: PagingState,
    ) -> Fetch<'a> {
        match self {
            Executable::Bound(bound) => Box::pin(all_pages(
                move |state| session.execute_bound_single_page(bound, state),
                state,
            )),
            Executable::Unprepared(statement) => Box::pin(all_pages(
                move |state| session.query_single_page(statement.clone(), (), state),
                state,
            )),
        }
    }
}

/// Runs `page` from `state` until the server says there are no more pages.
async fn all_pages<F, Fut>(mut page: F, mut state: PagingState) -> DriverResult<Vec<QueryResult>>
where
    F: FnMut(PagingState) -> Fut,
    Fut: Future<Output = Result<Page, ExecutionError>>,
{
    let mut pages = Vec::new();
    loop {
        let (result, next) = page(state).await?;
        pages.push(result);
        match next.into_paging_control_flow() {
            ControlFlow::Break(()) => return Ok(pages),
            ControlFlow::Continue(next) => state = next,
        }
    }
}

/// A call's statement: ready, or a parameterised string to prepare first.
pub(crate) enum Resolve {
    Ready(Executable),
    Prepare(Box<PrepareThenBind>),
}

/// A parameterised query string not yet in the session's prepared cache.
pub(crate) struct PrepareThenBind {
    pub core: Arc<SessionCore>,
    pub key: (Option<String>, String),
    pub options: StatementOptions,
    pub parameters: Option<Py<PyAny>>,
    pub page_size: Option<i32>,
}

/// The future of [`Resolve::executable`]: ready at once for a statement already bound, boxed
/// for one to prepare (the driver's prepare future is large, and the ready case is the one on
/// every request's path, where the whole work future is moved into a box).
pub(crate) type ExecutableFuture<'a> = Either<
    Ready<DriverResult<Executable>>,
    Pin<Box<dyn Future<Output = DriverResult<Executable>> + Send + 'a>>,
>;

impl Resolve {
    /// The executable statement; a first-seen query string is prepared (and cached) on the I/O
    /// thread, then bound with the GIL taken briefly.
    pub(crate) fn executable(self, session: &ScyllaSession) -> ExecutableFuture<'_> {
        match self {
            Resolve::Ready(executable) => Either::Left(ready(Ok(executable))),
            Resolve::Prepare(prepare) => Either::Right(Box::pin(prepare.run(session))),
        }
    }
}

impl PrepareThenBind {
    async fn run(self: Box<Self>, session: &ScyllaSession) -> DriverResult<Executable> {
        let prepare = *self;
        let mut statement = Statement::new(prepare.key.1.clone());
        statement.set_page_size(DEFAULT_PAGE_SIZE);
        let mut prepared = session.prepare(statement).await?;
        // The cache keeps the statement as prepared; the options are this call's.
        prepare.core.remember(prepare.key, prepared.clone());
        prepare.options.apply_to_prepared(&mut prepared);
        if let Some(size) = prepare.page_size {
            prepared.set_page_size(size);
        }
        let parameters = prepare.parameters;
        let bound = Python::attach(|py| bind(prepared, parameters.as_ref().map(|p| p.bind(py))))?;
        Ok(Executable::Bound(bound))
    }
}

/// Reads a `paging_state=` argument: the bytes of `rs.paging_state`, or the string of
/// `rs.paging_token` (URL-safe base64). `None` starts at the first page.
pub(crate) fn paging_state_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<PagingState> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(PagingState::start());
    };
    let raw: Vec<u8> = if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_str()?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| {
                value_error(format!(
                    "paging_state is not a paging token from AsyncResultSet.paging_token ({e})"
                ))
            })?
    } else if value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
        || value.is_instance_of::<PyMemoryView>()
    {
        let bytes = value.py().get_type::<PyBytes>().call1((value,))?;
        bytes.cast::<PyBytes>()?.as_bytes().to_vec()
    } else {
        return Err(type_error(format!(
            "paging_state must be bytes (AsyncResultSet.paging_state), a str \
             (AsyncResultSet.paging_token) or None, got {}",
            crate::types::python_type_name(value)
        )));
    };
    if raw.is_empty() {
        return Err(value_error("paging_state is empty"));
    }
    Ok(PagingState::new_from_raw_bytes(raw))
}

/// The URL-safe text form of a paging state.
pub(crate) fn paging_token(state: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(state)
}

/// Reads a `fetch_size=` argument (rows per page).
pub(crate) fn fetch_size_arg(size: Option<i64>) -> PyResult<Option<i32>> {
    match size {
        None => Ok(None),
        Some(n) if n > 0 && n <= i64::from(i32::MAX) => Ok(Some(n as i32)),
        Some(n) => Err(value_error(format!(
            "fetch_size must be a positive number of rows, got {n}"
        ))),
    }
}

/// Where the next page of a one-page result comes from.
pub(crate) struct PageSource {
    core: Arc<SessionCore>,
    executable: Arc<Executable>,
    timeout: Option<Duration>,
    context: ResultContext,
}

impl PageSource {
    /// `await rs.fetch_next_page()`: the page at `state`.
    pub(crate) fn next_page(
        self: &Arc<Self>,
        state: Arc<[u8]>,
        timeout: Option<f64>,
    ) -> PyResult<PendingRequest> {
        let timeout = parse_timeout(timeout, self.timeout)?;
        let source = self.clone();
        Ok(PendingRequest::new(Box::new(move |_py| {
            let session = source.core.live()?;
            Ok(Box::pin(async move {
                let state = PagingState::new_from_raw_bytes(state);
                let result =
                    with_timeout(timeout, "request", source.executable.page(&session, state)).await;
                page_completer(result, source)
            }) as Work)
        })))
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
        let factory = source
            .context
            .row_factory
            .as_ref()
            .map(|f| f.bind(py).clone());
        let rows = with_user_types(source.context.user_types.clone(), || {
            build_rows(py, vec![page], factory.as_ref())
        })?;
        let next = state.map(|state| (state, source.clone()));
        Ok(Py::new(py, rows.with_next_page(next))?.into_any())
    })
}
