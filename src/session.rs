//! `AsyncSession`, the Python face of a session: each method reads its arguments (through
//! `interop::args` and `statement::query`) and calls down into `execution`; nothing else.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use scylla::client::session::Session as ScyllaSession;

use crate::bridge::{completer, PendingRequest, Ready, Work};
use crate::config::stream::StreamSettings;
use crate::errors::{type_error, value_error, DriverError};
use crate::execution::core::SessionCore;
use crate::execution::deadline::{deadline, with_timeout};
use crate::execution::metadata;
use crate::execution::metrics::SessionMetrics;
use crate::execution::pager::first_page_completer;
use crate::execution::prepare::prepare_cached;
use crate::execution::profiles::Routing;
use crate::execution::request::request;
use crate::execution::resolve::Resolve;
use crate::execution::tracing::result_context;
use crate::execution::{batch, stream};
use crate::interop::args;
use crate::interop::imports;
use crate::interop::names::python_type_name;
use crate::results::context::ResultContext;
use crate::statement::batch::BatchArg;
use crate::statement::prepared::PreparedStatement;
use crate::statement::query::{QueryArg, StatementArg};

/// What a call's `execution_profile=` selects: how its statement is sent, the default deadline,
/// and the row factory (None: the session's).
struct CallProfile {
    routing: Routing,
    timeout: Option<Duration>,
    row_factory: Option<Arc<Py<PyAny>>>,
}

/// A connection to the cluster that runs queries; create it with `await cluster.connect()`.
///
/// Create one session at start-up and share it: it multiplexes any number of concurrent
/// requests over its connection pools. Every network call returns an awaitable and takes a
/// keyword `timeout=` in seconds.
#[pyclass(
    module = "aiocql",
    name = "AsyncSession",
    frozen,
    weakref,
    dict,
    subclass
)]
pub(crate) struct Session {
    core: Arc<SessionCore>,
}

impl Session {
    pub(crate) fn new(core: SessionCore) -> Self {
        Session {
            core: Arc::new(core),
        }
    }

    /// The state this session shares with its requests (for `cluster`'s metadata calls).
    pub(crate) fn core(&self) -> &Arc<SessionCore> {
        &self.core
    }

    /// The deadline of a call with `timeout=` running a statement whose own timeout is
    /// `statement_timeout`, under a profile whose timeout is `default`.
    fn deadline(
        &self,
        timeout: Option<f64>,
        statement_timeout: Option<Duration>,
        default: Option<Duration>,
    ) -> PyResult<Option<Duration>> {
        Ok(deadline(
            args::timeout(timeout)?,
            statement_timeout,
            default,
        ))
    }

    /// What a call's `execution_profile=` selects (None: the session's defaults).
    fn profile(&self, name: Option<&str>) -> PyResult<CallProfile> {
        let profile = match name {
            Some(name) => self.core.profile(name)?,
            None => self.core.default_profile(),
        };
        Ok(CallProfile {
            routing: self.core.routing(profile),
            // The default profile's timeout is the session's (which the user may change).
            timeout: match profile.handle {
                Some(_) => profile.timeout,
                None => self.core.default_timeout(),
            },
            // The default profile's row factory is the session's (which the user may change).
            row_factory: profile
                .handle
                .is_some()
                .then(|| profile.row_factory.clone())
                .flatten(),
        })
    }

    /// A request of `execute`, `execute_page` or `execute_stream`: when first awaited, the
    /// statement is bound (with `page_size` over its own) on the loop thread, and `work` gets the
    /// session's core, the driver session, the resolved statement and how to build the rows.
    fn paged<W>(
        &self,
        statement: StatementArg,
        page_size: Option<i32>,
        profile: CallProfile,
        row_factory: Option<Arc<Py<PyAny>>>,
        work: W,
    ) -> PendingRequest
    where
        W: FnOnce(Arc<SessionCore>, Arc<ScyllaSession>, Resolve, ResultContext) -> Work
            + Send
            + Sync
            + 'static,
    {
        request(&self.core, move |py, core, session| {
            let tracing = profile.routing.tracing;
            let resolve = Resolve::new(py, &core, &session, statement, page_size, profile.routing)?;
            let context = result_context(&core, row_factory.or(profile.row_factory), tracing);
            Ok(work(core, session, resolve, context))
        })
    }

    /// A batch request with `timeout=`.
    fn batch(
        &self,
        batch: &Bound<'_, PyAny>,
        timeout: Option<f64>,
        row_factory: Option<Arc<Py<PyAny>>>,
        profile: CallProfile,
    ) -> PyResult<PendingRequest> {
        let batch = BatchArg::parse(batch)?;
        let timeout = self.deadline(timeout, batch.timeout(), profile.timeout)?;
        Ok(batch::execute(
            &self.core,
            batch,
            timeout,
            row_factory.or(profile.row_factory),
            profile.routing,
        ))
    }

    /// Calls the function `name` of `aiocql.concurrent`, where bounded concurrency is written
    /// with asyncio itself (and its arguments checked), with this session, the statement, the
    /// parameters and the keyword arguments the caller gave.
    fn concurrent<'py>(
        slf: &Bound<'py, Self>,
        name: &str,
        statement: Bound<'py, PyAny>,
        parameters: Bound<'py, PyAny>,
        kwargs: &[(&str, Option<Bound<'py, PyAny>>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let keywords = PyDict::new(py);
        for (key, value) in kwargs {
            if let Some(value) = value {
                keywords.set_item(key, value)?;
            }
        }
        imports::concurrent_module(py)?
            .getattr(name)?
            .call((slf, statement, parameters), Some(&keywords))
    }
}

/// cassandra-driver's arguments that aiocql cannot honour raise `UnsupportedOperation`, naming
/// the argument, rather than being dropped or refused as unknown keywords.
fn refuse_unsupported(
    custom_payload: &Option<Bound<'_, PyAny>>,
    host: &Option<Bound<'_, PyAny>>,
    execute_as: &Option<Bound<'_, PyAny>>,
) -> PyResult<()> {
    let given = |value: &Option<Bound<'_, PyAny>>| value.as_ref().is_some_and(|v| !v.is_none());
    let refusal = if given(custom_payload) {
        "custom_payload is not supported: the Rust driver under aiocql cannot send a custom \
         payload; remove it"
    } else if given(host) {
        "host= is not supported yet: aiocql cannot pin one request to a node; use a \
         load-balancing policy (an execution profile) instead"
    } else if given(execute_as) {
        "execute_as is not supported: proxy execution is a DataStax Enterprise feature that \
         Apache Cassandra does not have; remove it"
    } else {
        return Ok(());
    };
    Err(DriverError::Unsupported(refusal.into()).into())
}

#[pymethods]
impl Session {
    /// Run a CQL statement and return all its rows as an `AsyncResultSet`.
    ///
    /// `query` is a CQL string or a `PreparedStatement`. `parameters` fill its bind markers: a
    /// sequence for `?` markers, a mapping for `:name` markers. A string with parameters is
    /// prepared once and the prepared statement cached. Every page of the result is fetched
    /// (see `execute_page` for one page at a time, `execute_stream` for constant memory);
    /// `paging_state` resumes where an `execute_page` result left off. `execution_profile` names
    /// one of the cluster's `execution_profiles` (its consistency, policies, timeout and row
    /// factory); every call here takes it. With `trace=True` the server traces the request, and
    /// `await rs.get_query_trace()` reads the trace (`execute_page` and `execute_batch` too).
    ///
    /// The arguments come in async-cassandra's (and cassandra-driver's) order, so positional
    /// calls written for them work.
    ///
    /// Raises `ParameterTypeError`/`ParameterValueError` for values that do not fit their
    /// column (nothing is sent), server errors such as `InvalidRequest` or `SyntaxException`,
    /// `OperationTimedOut` after `timeout` seconds, `ConnectionClosed` after `close()`,
    /// `UnsupportedOperation` for `custom_payload`, `host` or `execute_as`.
    ///
    ///     rs = await session.execute("SELECT * FROM users WHERE id = ?", [user_id])
    #[pyo3(signature = (query, parameters=None, trace=false, custom_payload=None, timeout=None, execution_profile=None, paging_state=None, host=None, execute_as=None, *, row_factory=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &self,
        py: Python<'_>,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        trace: bool,
        custom_payload: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        execution_profile: Option<&str>,
        paging_state: Option<Bound<'_, PyAny>>,
        host: Option<Bound<'_, PyAny>>,
        execute_as: Option<Bound<'_, PyAny>>,
        row_factory: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        refuse_unsupported(&custom_payload, &host, &execute_as)?;
        let mut profile = self.profile(execution_profile)?;
        profile.routing.tracing = trace;
        let row_factory = args::row_factory(row_factory)?;
        let statement = match QueryArg::parse(&query, parameters)? {
            QueryArg::Statement(statement) => statement,
            QueryArg::Batch(batch) => {
                if paging_state.as_ref().is_some_and(|p| !p.is_none()) {
                    return Err(type_error(
                        "a BatchStatement has no pages: pass no paging_state",
                    ));
                }
                return self.batch(batch.bind(py), timeout, row_factory, profile);
            }
        };
        let state = args::paging_state(paging_state.as_ref())?;
        let timeout = self.deadline(timeout, statement.timeout(py), profile.timeout)?;
        Ok(self.paged(
            statement,
            None,
            profile,
            row_factory,
            move |_core, session, resolve, context| {
                Box::pin(async move {
                    let result = with_timeout(timeout, "request", async {
                        let executable = resolve.executable(&session).await?;
                        executable.fetch_all(&session, state).await
                    })
                    .await;
                    completer(result, move |py, pages| context.result_set(py, pages, None))
                })
            },
        ))
    }

    /// Run a statement and return one page of its rows, for pagination.
    ///
    /// Returns an `AsyncResultSet` of at most `fetch_size` rows (default: the statement's
    /// `fetch_size`, else 5000) with `has_more_pages`, `paging_state` (bytes), `paging_token`
    /// (the same as URL-safe text) and `await rs.fetch_next_page()`. Pass `paging_state` (bytes
    /// or token) from an earlier page, with the same query and parameters, to continue there;
    /// it stays valid across sessions and processes. A page can hold fewer rows than
    /// `fetch_size` and still have more pages after it.
    ///
    /// Raises what `execute()` raises; `ValueError`/`TypeError` for a bad `fetch_size` or
    /// `paging_state` (nothing is sent). The server refuses a malformed `paging_state` with
    /// `ProtocolException`; one from another query can fail as `ReadFailure`.
    ///
    ///     page = await session.execute_page(query, [user_id], fetch_size=50, paging_state=token)
    ///     next_token = page.paging_token  # None on the last page
    #[pyo3(signature = (query, parameters=None, *, fetch_size=None, paging_state=None, timeout=None, row_factory=None, execution_profile=None, trace=false))]
    #[allow(clippy::too_many_arguments)]
    fn execute_page(
        &self,
        py: Python<'_>,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        fetch_size: Option<i64>,
        paging_state: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
        execution_profile: Option<&str>,
        trace: bool,
    ) -> PyResult<PendingRequest> {
        let mut profile = self.profile(execution_profile)?;
        profile.routing.tracing = trace;
        let row_factory = args::row_factory(row_factory)?;
        let page_size = fetch_size
            .map(|size| args::fetch_size("fetch_size", size))
            .transpose()?;
        let state = args::paging_state(paging_state.as_ref())?;
        let statement = QueryArg::parse(&query, parameters)?.paged()?;
        let timeout = self.deadline(timeout, statement.timeout(py), profile.timeout)?;
        Ok(self.paged(
            statement,
            page_size,
            profile,
            row_factory,
            move |core, session, resolve, context| {
                Box::pin(async move {
                    let result = with_timeout(timeout, "request", async {
                        let executable = resolve.executable(&session).await?;
                        let page = executable.page(&session, state).await?;
                        Ok((executable, page))
                    })
                    .await;
                    first_page_completer(result, core, timeout, context)
                })
            },
        ))
    }

    /// Stream the rows of a large result in constant memory: `async for row in stream`.
    ///
    /// Returns an `AsyncStreamingResultSet` once the first page has arrived (so query errors
    /// raise here). Pages of `stream_config.fetch_size` rows (without a `stream_config`, the
    /// statement's `fetch_size`, else 5000) are fetched by the
    /// Rust core; the next page is requested while the current one is consumed, and no further
    /// ahead, so memory stays constant and the server is never ahead of the consumer by more than
    /// a page. `stream_config.page_callback(page_number, rows_in_page)` runs on the event loop
    /// thread as each page arrives; `max_pages` bounds the page requests. `timeout` (or
    /// `stream_config.timeout_seconds`) bounds each page request. `paging_state` resumes where
    /// an `execute_page` result left off.
    ///
    /// Use it as an async context manager, or call `await stream.close()`, to stop fetching as
    /// soon as you are done; dropping the stream stops it too.
    ///
    ///     async with await session.execute_stream(query, stream_config=StreamConfig(fetch_size=5000)) as stream:
    ///         async for row in stream:
    ///             handle(row)
    #[pyo3(signature = (query, parameters=None, stream_config=None, execution_profile=None, timeout=None, *, row_factory=None, paging_state=None, trace=false, custom_payload=None, host=None, execute_as=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute_stream(
        &self,
        py: Python<'_>,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        stream_config: Option<Bound<'_, PyAny>>,
        execution_profile: Option<&str>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
        paging_state: Option<Bound<'_, PyAny>>,
        trace: bool,
        custom_payload: Option<Bound<'_, PyAny>>,
        host: Option<Bound<'_, PyAny>>,
        execute_as: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        refuse_unsupported(&custom_payload, &host, &execute_as)?;
        if trace {
            return Err(DriverError::Unsupported(
                "trace=True is not supported on execute_stream: trace one page with \
                 execute_page(..., trace=True)"
                    .into(),
            )
            .into());
        }
        let profile = self.profile(execution_profile)?;
        let row_factory = args::row_factory(row_factory)?;
        let settings = StreamSettings::from_config(stream_config.as_ref())?;
        let state = args::paging_state(paging_state.as_ref())?;
        let statement = QueryArg::parse(&query, parameters)?.paged()?;
        let timeout = self.deadline(
            timeout.or(settings.timeout_seconds),
            statement.timeout(py),
            profile.timeout,
        )?;
        let page_size = settings.fetch_size;
        Ok(self.paged(
            statement,
            page_size,
            profile,
            row_factory,
            move |core, session, resolve, context| {
                stream::start(core, session, resolve, state, timeout, settings, context)
            },
        ))
    }

    /// Run one statement for each item of `parameters`, at most `concurrency` at a time, and
    /// return their results in input order as `ExecutionResult(success, result_or_exc)`.
    ///
    /// `statement` is a `PreparedStatement` (recommended), a query string or a
    /// `SimpleStatement`; `parameters` any iterable (a generator is consumed lazily, so a bulk
    /// load of millions of rows needs no list). With `raise_on_first_error` (the default),
    /// the first failure stops new requests, the ones in flight finish, and the failure with the
    /// lowest input position is raised; otherwise failures are returned in place as
    /// `ExecutionResult(False, exception)`. `timeout` applies to each request.
    ///
    ///     insert = await session.prepare("INSERT INTO kv (k, v) VALUES (?, ?)")
    ///     await session.execute_concurrent(insert, ((k, v) for k, v in items), concurrency=200)
    #[pyo3(
        signature = (statement, parameters, *, concurrency=None, raise_on_first_error=None, timeout=None, execution_profile=None),
        text_signature = "($self, statement, parameters, *, concurrency=100, raise_on_first_error=True, timeout=None, execution_profile=None)"
    )]
    fn execute_concurrent<'py>(
        slf: &Bound<'py, Self>,
        statement: Bound<'py, PyAny>,
        parameters: Bound<'py, PyAny>,
        concurrency: Option<Bound<'py, PyAny>>,
        raise_on_first_error: Option<Bound<'py, PyAny>>,
        timeout: Option<Bound<'py, PyAny>>,
        execution_profile: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::concurrent(
            slf,
            "execute_concurrent",
            statement,
            parameters,
            &[
                ("concurrency", concurrency),
                ("raise_on_first_error", raise_on_first_error),
                ("timeout", timeout),
                ("execution_profile", execution_profile),
            ],
        )
    }

    /// Like `execute_concurrent`, but an async iterator of `(index, ExecutionResult)` pairs in
    /// completion order: results can be handled while the rest run. Failures are yielded, not
    /// raised. Breaking out of the loop cancels the requests still in flight.
    ///
    ///     async for index, (ok, result) in session.execute_concurrent_iter(insert, rows):
    ///         if not ok:
    ///             log.warning("row %d failed: %s", index, result)
    #[pyo3(
        signature = (statement, parameters, *, concurrency=None, timeout=None, execution_profile=None),
        text_signature = "($self, statement, parameters, *, concurrency=100, timeout=None, execution_profile=None)"
    )]
    fn execute_concurrent_iter<'py>(
        slf: &Bound<'py, Self>,
        statement: Bound<'py, PyAny>,
        parameters: Bound<'py, PyAny>,
        concurrency: Option<Bound<'py, PyAny>>,
        timeout: Option<Bound<'py, PyAny>>,
        execution_profile: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::concurrent(
            slf,
            "execute_concurrent_iter",
            statement,
            parameters,
            &[
                ("concurrency", concurrency),
                ("timeout", timeout),
                ("execution_profile", execution_profile),
            ],
        )
    }

    /// Run a `BatchStatement`: its statements as one request, applied together (LOGGED),
    /// or just sent together (UNLOGGED, COUNTER).
    ///
    /// Every parameter of every statement is converted first: a bad value raises
    /// `ParameterTypeError`/`ParameterValueError` naming the batch statement, and nothing is
    /// sent. `execute(batch)` does the same.
    ///
    ///     batch = BatchStatement()
    ///     batch.add(insert_user, (user_id, name))
    ///     batch.add("UPDATE counts SET n = ? WHERE k = ?", (3, "users"))
    ///     await session.execute_batch(batch)
    #[pyo3(signature = (batch, trace=false, custom_payload=None, timeout=None, execution_profile=None))]
    fn execute_batch(
        &self,
        batch: Bound<'_, PyAny>,
        trace: bool,
        custom_payload: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        execution_profile: Option<&str>,
    ) -> PyResult<PendingRequest> {
        refuse_unsupported(&custom_payload, &None, &None)?;
        let mut profile = self.profile(execution_profile)?;
        profile.routing.tracing = trace;
        if !batch.is_instance(&imports::batch_statement_class(batch.py())?)? {
            return Err(type_error(format!(
                "execute_batch() takes a BatchStatement, got {}",
                python_type_name(&batch)
            )));
        }
        self.batch(&batch, timeout, None, profile)
    }

    /// Prepare a statement on the cluster and return a `PreparedStatement`.
    ///
    /// Raises `SyntaxException` or `InvalidRequest` when the server rejects the statement.
    ///
    ///     insert = await session.prepare("INSERT INTO users (id, name) VALUES (?, ?)")
    #[pyo3(signature = (query, custom_payload=None, timeout=None))]
    fn prepare(
        &self,
        query: &str,
        custom_payload: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
    ) -> PyResult<PendingRequest> {
        refuse_unsupported(&custom_payload, &None, &None)?;
        let timeout = self.deadline(timeout, None, self.core.default_timeout())?;
        let text = query.to_owned();
        Ok(request(&self.core, move |_py, core, session| {
            Ok(Box::pin(async move {
                let result =
                    with_timeout(timeout, "prepare", prepare_cached(&core, &session, text)).await;
                completer(result, |py, prepared| {
                    Ok(Py::new(py, PreparedStatement::new(prepared))?.into_any())
                })
            }) as Work)
        }))
    }

    /// Switch the session to another keyspace (`USE <keyspace>` on every connection).
    ///
    /// The name must be `[A-Za-z0-9_]+`, or a double-quoted case-sensitive name. Raises
    /// `InvalidRequest` if the keyspace does not exist.
    #[pyo3(signature = (keyspace, *, timeout=None))]
    fn set_keyspace(&self, keyspace: &str, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = self.deadline(timeout, None, self.core.default_timeout())?;
        let (name, case_sensitive) = args::keyspace(keyspace)?;
        Ok(request(&self.core, move |_py, _core, session| {
            Ok(Box::pin(async move {
                // A `USE` statement rather than `Session::use_keyspace`: the latter records the
                // new name before the server has accepted it, so a keyspace that does not exist
                // would stay the session's keyspace. The driver applies a successful `USE` to
                // every connection itself. The name was validated above, so it cannot inject.
                let statement = if case_sensitive {
                    format!("USE \"{name}\"")
                } else {
                    format!("USE {name}")
                };
                let result = with_timeout(timeout, "USE <keyspace>", async {
                    session
                        .query_unpaged(statement, ())
                        .await
                        .map(|_| ())
                        .map_err(DriverError::from)
                })
                .await;
                completer(result, |py, ()| Ok(py.None()))
            }) as Work)
        }))
    }

    /// Wait until every node the driver is connected to reports the same schema version, and
    /// return that version (a `uuid.UUID`).
    ///
    /// A schema change (`CREATE`, `ALTER`, `DROP`) already waits for agreement itself, for up
    /// to the cluster's `max_schema_agreement_wait`; this call is for schema changed some other
    /// way, or with `max_schema_agreement_wait=0`. Nodes the driver has no connection to (down
    /// nodes) are not waited for. `timeout` defaults to the session's `request_timeout`.
    ///
    /// Raises `SchemaAgreementTimeout` (an `OperationTimedOut`) if the nodes do not agree
    /// within `timeout`, `NoHostAvailable` if no node can be asked, `ConnectionClosed` after
    /// `close()`.
    ///
    ///     version = await session.wait_for_schema_agreement(timeout=30)
    #[pyo3(signature = (*, timeout=None))]
    fn wait_for_schema_agreement(&self, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = self.deadline(timeout, None, self.core.default_timeout())?;
        Ok(metadata::await_agreement(&self.core, timeout))
    }

    /// Ask every node the driver is connected to for its schema version, once: the version (a
    /// `uuid.UUID`) if they all agree, else `None`.
    ///
    /// Raises `OperationTimedOut` after `timeout` (default: the session's `request_timeout`),
    /// `NoHostAvailable` if no node can be asked, `ConnectionClosed` after `close()`.
    ///
    ///     if await session.check_schema_agreement() is None:
    ///         print("the nodes are still learning the latest schema change")
    #[pyo3(signature = (*, timeout=None))]
    fn check_schema_agreement(&self, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = self.deadline(timeout, None, self.core.default_timeout())?;
        Ok(metadata::check_agreement(&self.core, timeout))
    }

    /// How rows are built: `None` (the default) makes `Row`s, with tuple, attribute and
    /// mapping access; `tuple` makes plain tuples, `dict` dicts; any other callable or class
    /// (a dataclass, a pydantic model) is called with the columns as keyword arguments.
    /// `execute(..., row_factory=...)` overrides it for one call.
    #[getter]
    fn get_row_factory(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.core.row_factory().map(|f| f.clone_ref(py))
    }

    #[setter]
    fn set_row_factory(&self, factory: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        self.core.set_row_factory(args::row_factory(factory)?);
        Ok(())
    }

    /// The current keyspace, or `None`.
    /// The timeout, in seconds, of calls that give no `timeout=` and select no execution
    /// profile (None: no limit); set from `AsyncCluster(request_timeout=...)` or the
    /// `EXEC_PROFILE_DEFAULT` profile, and settable as in cassandra-driver. A statement's own
    /// timeout still takes precedence. Setting it raises `ValueError` for anything but None
    /// or a positive number.
    ///
    /// Example: `session.default_timeout = 30.0`
    #[getter]
    fn get_default_timeout(&self) -> Option<f64> {
        self.core.default_timeout().map(|t| t.as_secs_f64())
    }

    #[setter]
    fn set_default_timeout(&self, value: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let timeout = match value.filter(|v| !v.is_none()) {
            None => None,
            Some(value) => {
                let seconds = args::number(&value).ok_or_else(|| {
                    value_error(format!(
                        "default_timeout must be None or a positive number of seconds, got {}",
                        value.repr().map(|r| r.to_string()).unwrap_or_default()
                    ))
                })?;
                Some(args::seconds("default_timeout", seconds).map_err(value_error)?)
            }
        };
        self.core.set_default_timeout(timeout);
        Ok(())
    }

    #[getter]
    fn keyspace(&self) -> Option<String> {
        self.core
            .live()
            .ok()
            .and_then(|s| s.get_keyspace().map(|k| k.as_str().to_owned()))
    }

    /// What the session has done since it connected (a `SessionMetrics` snapshot): requests,
    /// errors, retries, speculative executions, latency.
    ///
    /// Raises `ConnectionClosed` after `close()`.
    ///
    ///     print(session.metrics.speculative_executions)
    #[getter]
    fn metrics(&self) -> PyResult<SessionMetrics> {
        Ok(self.core.metrics()?)
    }

    /// Whether `close()` was called.
    #[getter]
    fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Close the session's connections. Idempotent and prompt (no sleeps).
    ///
    /// Requests already in flight finish; any call made after `close()` raises
    /// `ConnectionClosed`.
    fn close(&self) -> PendingRequest {
        let taken = self.core.close();
        PendingRequest::from_work(async move {
            // Dropped on the runtime: the driver's background tasks end with the session.
            drop(taken);
            completer::<(), _>(Ok(()), |py, ()| Ok(py.None()))
        })
    }

    /// Alias of `close()` (cassandra-driver's name).
    fn shutdown(&self) -> PendingRequest {
        self.close()
    }

    fn __aenter__(slf: Bound<'_, Self>) -> Ready {
        Ready::new(slf.into_any().unbind())
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, _exc_info: Bound<'_, PyTuple>) -> PendingRequest {
        self.close()
    }

    fn __repr__(&self) -> String {
        match self.core.live() {
            Ok(s) => match s.get_keyspace() {
                Some(keyspace) => format!("<AsyncSession keyspace='{}'>", keyspace.as_str()),
                None => "<AsyncSession keyspace=None>".to_owned(),
            },
            Err(_) => "<AsyncSession closed>".to_owned(),
        }
    }
}
