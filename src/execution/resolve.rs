//! From a call's [`StatementArg`] to an [`Executable`]: bound on the loop thread when the call is
//! first awaited, or, for a parameterised string not yet in the session's cache, prepared on the
//! I/O thread first.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::future::{ready, Either, Ready};
use pyo3::prelude::*;
use scylla::client::session::Session as ScyllaSession;

use super::core::SessionCore;
use super::pager::Executable;
use super::prepare::{new_statement, prepare_cached};
use super::prepared_cache::cache_key;
use super::profiles::Routing;
use crate::errors::DriverResult;
use crate::statement::bind::bind;
use crate::statement::options::StatementOptions;
use crate::statement::query::StatementArg;

/// A call's statement: ready, or a parameterised string to prepare first.
pub(crate) enum Resolve {
    Ready(Executable),
    Prepare(Box<PrepareThenBind>),
}

/// A parameterised query string not yet in the session's prepared cache.
pub(crate) struct PrepareThenBind {
    core: Arc<SessionCore>,
    text: String,
    options: StatementOptions,
    parameters: Option<Py<PyAny>>,
    page_size: Option<i32>,
    routing: Routing,
}

/// The future of [`Resolve::executable`]: ready at once for a statement already bound, boxed
/// for one to prepare (the driver's prepare future is large, and the ready case is the one on
/// every request's path, where the whole work future is moved into a box).
pub(crate) type ExecutableFuture<'a> = Either<
    Ready<DriverResult<Executable>>,
    Pin<Box<dyn Future<Output = DriverResult<Executable>> + Send + 'a>>,
>;

impl Resolve {
    /// Binds `arg` on the loop thread, with `page_size` (rows per page) over the statement's
    /// own, to run as `routing` says (its execution profile, and who counts its speculation).
    pub(crate) fn new(
        py: Python<'_>,
        core: &Arc<SessionCore>,
        session: &ScyllaSession,
        arg: StatementArg,
        page_size: Option<i32>,
        routing: Routing,
    ) -> PyResult<Self> {
        let executable = match arg {
            StatementArg::Bound(bound) => {
                let mut bound = bound.bind(py).get().to_scylla()?;
                if let Some(size) = page_size {
                    bound.set_page_size(size);
                }
                Executable::Bound(bound)
            }
            StatementArg::Prepared {
                mut statement,
                parameters,
                ..
            } => {
                if let Some(size) = page_size {
                    statement.set_page_size(size);
                }
                Executable::Bound(bind(statement, parameters.as_ref().map(|p| p.bind(py)))?)
            }
            StatementArg::Text {
                text,
                options,
                parameters: None,
            } => {
                let mut statement = new_statement(text);
                options.apply_to(&mut statement);
                if let Some(size) = page_size {
                    statement.set_page_size(size);
                }
                Executable::Unprepared(statement)
            }
            StatementArg::Text {
                text,
                options,
                parameters: Some(parameters),
            } => {
                let Some(mut prepared) = core.cached(&cache_key(session, &text)) else {
                    // First use of this query text: prepared on the I/O thread, then bound there.
                    return Ok(Resolve::Prepare(Box::new(PrepareThenBind {
                        core: core.clone(),
                        text,
                        options,
                        parameters: Some(parameters),
                        page_size,
                        routing,
                    })));
                };
                options.apply_to(&mut prepared);
                if let Some(size) = page_size {
                    prepared.set_page_size(size);
                }
                Executable::Bound(bind(prepared, Some(parameters.bind(py)))?)
            }
        };
        Ok(Resolve::Ready(executable.with_routing(routing)))
    }

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
        let PrepareThenBind {
            core,
            text,
            options,
            parameters,
            page_size,
            routing,
        } = *self;
        let mut prepared = prepare_cached(&core, session, text).await?;
        options.apply_to(&mut prepared);
        if let Some(size) = page_size {
            prepared.set_page_size(size);
        }
        let bound = Python::attach(|py| bind(prepared, parameters.as_ref().map(|p| p.bind(py))))?;
        Ok(Executable::Bound(bound).with_routing(routing))
    }
}
