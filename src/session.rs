//! `AsyncSession`: executing, preparing, and closing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use scylla::client::session::Session as ScyllaSession;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;

use crate::errors::{type_error, value_error, DriverError, DriverResult};
use crate::options::StatementOptions;
use crate::paging::{
    fetch_size_arg, first_page_completer, paging_state_arg, Executable, PrepareThenBind, Resolve,
};
use crate::result::build_result_set;
use crate::runtime::{completer, with_timeout, PendingRequest, Ready, Work};
use crate::statement::{bind, has_parameters, BoundStatement, PreparedStatement};
use crate::stream::StreamSettings;
use crate::types::with_user_types;

/// Rows per page when `execute()` fetches a whole result.
pub const DEFAULT_PAGE_SIZE: i32 = 5000;

/// Prepared statements by (keyspace, query), so that parameterised string queries are prepared
/// once per session. Least recently used entries go first.
struct PreparedCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<(Option<String>, String), (ScyllaPrepared, u64)>,
}

impl PreparedCache {
    fn new(capacity: usize) -> Self {
        PreparedCache {
            capacity,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, key: &(Option<String>, String)) -> Option<ScyllaPrepared> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(prepared, used)| {
            *used = tick;
            prepared.clone()
        })
    }

    fn insert(&mut self, key: (Option<String>, String), prepared: ScyllaPrepared) {
        if self.capacity == 0 {
            return;
        }
        self.tick += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (prepared, self.tick));
    }
}

/// State shared by a session and its in-flight requests.
pub struct SessionCore {
    session: RwLock<Option<Arc<ScyllaSession>>>,
    pub(crate) default_timeout: Option<Duration>,
    prepared: Mutex<PreparedCache>,
    pub(crate) user_types: Option<Arc<Py<PyDict>>>,
    /// `session.row_factory`: None builds `Row`s.
    row_factory: RwLock<Option<Arc<Py<PyAny>>>>,
}

/// How a result's rows are built: user-type classes and the row factory of the call.
#[derive(Clone)]
pub struct ResultContext {
    pub(crate) user_types: Option<Arc<Py<PyDict>>>,
    pub(crate) row_factory: Option<Arc<Py<PyAny>>>,
}

impl SessionCore {
    /// The context for a result of a call with `row_factory` (None: the session's).
    pub(crate) fn result_context(&self, row_factory: Option<Arc<Py<PyAny>>>) -> ResultContext {
        ResultContext {
            user_types: self.user_types.clone(),
            row_factory: row_factory.or_else(|| {
                self.row_factory
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
            }),
        }
    }

    pub(crate) fn live(&self) -> DriverResult<Arc<ScyllaSession>> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(DriverError::Closed("Session is closed"))
    }

    pub(crate) fn cache_key(session: &ScyllaSession, query: &str) -> (Option<String>, String) {
        (
            session.get_keyspace().map(|k| k.as_str().to_owned()),
            query.to_owned(),
        )
    }

    pub(crate) fn cached(&self, key: &(Option<String>, String)) -> Option<ScyllaPrepared> {
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
    }

    pub(crate) fn remember(&self, key: (Option<String>, String), prepared: ScyllaPrepared) {
        self.prepared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, prepared);
    }
}

/// Converts a user `timeout=` (seconds) into a duration, refusing nonsense before any I/O.
pub fn parse_timeout(
    timeout: Option<f64>,
    default: Option<Duration>,
) -> PyResult<Option<Duration>> {
    match timeout {
        None => Ok(default),
        Some(t) if t.is_finite() && t > 0.0 => Ok(Some(Duration::from_secs_f64(t))),
        Some(t) => Err(value_error(format!(
            "timeout must be a positive number of seconds or None, got {t}"
        ))),
    }
}

pub(crate) fn result_completer(
    result: DriverResult<Vec<QueryResult>>,
    context: ResultContext,
) -> crate::runtime::Completer {
    completer(result, move |py, pages| {
        let factory = context.row_factory.as_ref().map(|f| f.bind(py).clone());
        with_user_types(context.user_types, || {
            build_result_set(py, pages, factory.as_ref())
        })
    })
}

/// A connection to the cluster that runs queries; create it with `await cluster.connect()`.
///
/// Create one session at start-up and share it: it multiplexes any number of concurrent
/// requests over its connection pools. Every network call returns an awaitable and takes a
/// keyword `timeout=` in seconds.
#[pyclass(module = "aiocql", name = "AsyncSession", frozen, weakref)]
pub struct Session {
    core: Arc<SessionCore>,
}

impl Session {
    pub fn new(
        session: ScyllaSession,
        default_timeout: Option<Duration>,
        prepared_cache_size: usize,
        user_types: Option<Arc<Py<PyDict>>>,
    ) -> Self {
        Session {
            core: Arc::new(SessionCore {
                session: RwLock::new(Some(Arc::new(session))),
                default_timeout,
                prepared: Mutex::new(PreparedCache::new(prepared_cache_size)),
                user_types,
                row_factory: RwLock::new(None),
            }),
        }
    }
}

/// A call's statement, bound on the loop thread when the call is first awaited.
type Target = Box<dyn FnOnce(Python<'_>) -> PyResult<Resolve> + Send + Sync>;

impl Session {
    /// Reads `query` and `parameters` of `execute`, `execute_page` and `execute_stream` into the
    /// statement to run, and the call's timeout. `page_size` overrides the statement's own.
    fn target(
        &self,
        query: &Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        timeout_arg: Option<f64>,
        page_size: Option<i32>,
    ) -> PyResult<(Target, Option<Duration>)> {
        let timeout = parse_timeout(timeout_arg, self.core.default_timeout)?;
        if let Ok(bound) = query.cast::<BoundStatement>() {
            if has_parameters(parameters.as_ref()) {
                return Err(type_error(
                    "a BoundStatement already has its parameters; pass none to execute()",
                ));
            }
            let bound = bound.clone().unbind();
            let timeout = effective_timeout(timeout_arg, bound.get().timeout, timeout);
            let target: Target = Box::new(move |py| {
                let mut bound = bound.get().to_scylla().map_err(|e| e.into_pyerr(py))?;
                if let Some(size) = page_size {
                    bound.set_page_size(size);
                }
                Ok(Resolve::Ready(Executable::Bound(bound)))
            });
            return Ok((target, timeout));
        }
        if let Ok(prepared) = query.cast::<PreparedStatement>() {
            let (mut configured, own_timeout) = prepared.get().configured()?;
            if let Some(size) = page_size {
                configured.set_page_size(size);
            }
            let timeout = effective_timeout(timeout_arg, own_timeout, timeout);
            let parameters = parameters.map(Bound::unbind);
            let target: Target = Box::new(move |py| {
                let bound = bind(configured, parameters.as_ref().map(|p| p.bind(py)))
                    .map_err(|e| e.into_pyerr(py))?;
                Ok(Resolve::Ready(Executable::Bound(bound)))
            });
            return Ok((target, timeout));
        }
        let (text, options) = if let Ok(text) = query.cast::<PyString>() {
            (text.to_str()?.to_owned(), StatementOptions::default())
        } else if is_statement_class(query, "SimpleStatement")? {
            let text: String = query.getattr("query_string")?.extract()?;
            (text, StatementOptions::from_statement(query)?)
        } else if is_statement_class(query, "BatchStatement")? {
            // execute() runs batches before coming here; paging them means nothing.
            return Err(type_error(
                "a BatchStatement has no pages: run it with execute_batch()",
            ));
        } else {
            return Err(type_error(format!(
                "query must be a str, a SimpleStatement, a PreparedStatement, a BoundStatement or a BatchStatement, got {}",
                crate::types::python_type_name(query)
            )));
        };
        let timeout = effective_timeout(timeout_arg, options.timeout, timeout);
        if !has_parameters(parameters.as_ref()) {
            let target: Target = Box::new(move |_py| {
                let mut statement = Statement::new(text);
                statement.set_page_size(DEFAULT_PAGE_SIZE);
                options.apply_to_statement(&mut statement);
                if let Some(size) = page_size {
                    statement.set_page_size(size);
                }
                Ok(Resolve::Ready(Executable::Unprepared(statement)))
            });
            return Ok((target, timeout));
        }
        let parameters = parameters.map(Bound::unbind);
        // cassandra-driver's %s / %(name)s placeholders, bound server-side like ? and :name.
        let text = crate::placeholders::translate(&text).into_owned();
        let core = self.core.clone();
        let target: Target = Box::new(move |py| {
            let session = core.live()?;
            let key = SessionCore::cache_key(&session, &text);
            let Some(mut prepared) = core.cached(&key) else {
                // First use of this query text: prepared on the I/O thread, then bound there.
                return Ok(Resolve::Prepare(Box::new(PrepareThenBind {
                    core: core.clone(),
                    key,
                    options,
                    parameters,
                    page_size,
                })));
            };
            options.apply_to_prepared(&mut prepared);
            if let Some(size) = page_size {
                prepared.set_page_size(size);
            }
            let bound = bind(prepared, parameters.as_ref().map(|p| p.bind(py)))
                .map_err(|e| e.into_pyerr(py))?;
            Ok(Resolve::Ready(Executable::Bound(bound)))
        });
        Ok((target, timeout))
    }

    /// A request that, when first awaited, binds the statement on the loop thread and hands
    /// `work` the session, the statement and how to build the result.
    fn request<W>(
        &self,
        target: Target,
        row_factory: Option<Arc<Py<PyAny>>>,
        work: W,
    ) -> PendingRequest
    where
        W: FnOnce(Arc<ScyllaSession>, Resolve, ResultContext) -> Work + Send + Sync + 'static,
    {
        let core = self.core.clone();
        PendingRequest::new(Box::new(move |py| {
            let session = core.live()?;
            let resolve = target(py)?;
            let context = core.result_context(row_factory);
            Ok(work(session, resolve, context))
        }))
    }
}

#[pymethods]
impl Session {
    /// Run a CQL statement and return all its rows as an `AsyncResultSet`.
    ///
    /// `query` is a CQL string or a `PreparedStatement`. `parameters` fill its bind markers: a
    /// sequence for `?` markers, a mapping for `:name` markers. A string with parameters is
    /// prepared once and the prepared statement cached. Every page of the result is fetched
    /// (see `execute_page` for one page at a time, `execute_stream` for constant memory);
    /// `paging_state` resumes where an `execute_page` result left off.
    ///
    /// Raises `ParameterTypeError`/`ParameterValueError` for values that do not fit their
    /// column (nothing is sent), server errors such as `InvalidRequest` or `SyntaxException`,
    /// `OperationTimedOut` after `timeout` seconds, `ConnectionClosed` after `close()`.
    ///
    ///     rs = await session.execute("SELECT * FROM users WHERE id = ?", [user_id])
    #[pyo3(signature = (query, parameters=None, *, timeout=None, row_factory=None, paging_state=None))]
    fn execute(
        &self,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
        paging_state: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        let row_factory = checked_row_factory(row_factory)?;
        let common = query.is_instance_of::<PreparedStatement>()
            || query.is_instance_of::<BoundStatement>()
            || query.is_instance_of::<PyString>();
        if !common && is_statement_class(&query, "BatchStatement")? {
            if paging_state.as_ref().is_some_and(|p| !p.is_none()) {
                return Err(type_error(
                    "a BatchStatement has no pages: pass no paging_state",
                ));
            }
            return crate::batch::execute_batch(self.core.clone(), &query, timeout, row_factory);
        }
        let state = paging_state_arg(paging_state.as_ref())?;
        let (target, timeout) = self.target(&query, parameters, timeout, None)?;
        Ok(
            self.request(target, row_factory, move |session, resolve, context| {
                Box::pin(async move {
                    let result = with_timeout(timeout, "request", async {
                        let executable = resolve.executable(&session).await?;
                        executable.fetch_all(&session, state).await
                    })
                    .await;
                    result_completer(result, context)
                })
            }),
        )
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
    #[pyo3(signature = (query, parameters=None, *, fetch_size=None, paging_state=None, timeout=None, row_factory=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute_page(
        &self,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        fetch_size: Option<i64>,
        paging_state: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        let row_factory = checked_row_factory(row_factory)?;
        let page_size = fetch_size_arg(fetch_size)?;
        let state = paging_state_arg(paging_state.as_ref())?;
        let (target, timeout) = self.target(&query, parameters, timeout, page_size)?;
        let core = self.core.clone();
        Ok(
            self.request(target, row_factory, move |session, resolve, context| {
                Box::pin(async move {
                    let result = with_timeout(timeout, "request", async {
                        let executable = resolve.executable(&session).await?;
                        let page = executable.page(&session, state).await?;
                        Ok((executable, page))
                    })
                    .await;
                    first_page_completer(result, core, timeout, context)
                })
            }),
        )
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
    #[pyo3(signature = (query, parameters=None, stream_config=None, *, timeout=None, row_factory=None, paging_state=None))]
    #[allow(clippy::too_many_arguments)]
    fn execute_stream(
        &self,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        stream_config: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
        paging_state: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        let row_factory = checked_row_factory(row_factory)?;
        let settings = StreamSettings::from_config(stream_config.as_ref())?;
        let state = paging_state_arg(paging_state.as_ref())?;
        let timeout = timeout.or(settings.timeout_seconds);
        let (target, timeout) = self.target(&query, parameters, timeout, settings.fetch_size)?;
        let core = self.core.clone();
        Ok(
            self.request(target, row_factory, move |session, resolve, context| {
                crate::stream::start(core, session, resolve, state, timeout, settings, context)
            }),
        )
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
    #[pyo3(signature = (statement, parameters, *, concurrency=100, raise_on_first_error=true, timeout=None))]
    fn execute_concurrent<'py>(
        slf: &Bound<'py, Self>,
        statement: Bound<'py, PyAny>,
        parameters: Bound<'py, PyAny>,
        concurrency: i64,
        raise_on_first_error: bool,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        concurrent_helper(slf.py(), "execute_concurrent")?.call(
            (slf, statement, parameters),
            Some(&concurrent_kwargs(
                slf.py(),
                concurrency,
                timeout,
                Some(raise_on_first_error),
            )?),
        )
    }

    /// Like `execute_concurrent`, but an async iterator of `(index, ExecutionResult)` pairs in
    /// completion order: results can be handled while the rest run. Failures are yielded, not
    /// raised. Breaking out of the loop cancels the requests still in flight.
    ///
    ///     async for index, (ok, result) in session.execute_concurrent_iter(insert, rows):
    ///         if not ok:
    ///             log.warning("row %d failed: %s", index, result)
    #[pyo3(signature = (statement, parameters, *, concurrency=100, timeout=None))]
    fn execute_concurrent_iter<'py>(
        slf: &Bound<'py, Self>,
        statement: Bound<'py, PyAny>,
        parameters: Bound<'py, PyAny>,
        concurrency: i64,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        concurrent_helper(slf.py(), "execute_concurrent_iter")?.call(
            (slf, statement, parameters),
            Some(&concurrent_kwargs(slf.py(), concurrency, timeout, None)?),
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
    #[pyo3(signature = (batch, *, timeout=None))]
    fn execute_batch(
        &self,
        batch: Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<PendingRequest> {
        if !is_statement_class(&batch, "BatchStatement")? {
            return Err(type_error(format!(
                "execute_batch() takes a BatchStatement, got {}",
                crate::types::python_type_name(&batch)
            )));
        }
        crate::batch::execute_batch(self.core.clone(), &batch, timeout, None)
    }

    /// Prepare a statement on the cluster and return a `PreparedStatement`.
    ///
    /// Raises `SyntaxException` or `InvalidRequest` when the server rejects the statement.
    ///
    ///     insert = await session.prepare("INSERT INTO users (id, name) VALUES (?, ?)")
    #[pyo3(signature = (query, *, timeout=None))]
    fn prepare(&self, query: &str, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = parse_timeout(timeout, self.core.default_timeout)?;
        let core = self.core.clone();
        let text = query.to_owned();
        Ok(PendingRequest::new(Box::new(move |_py| {
            let session = core.live()?;
            Ok(Box::pin(async move {
                let result = with_timeout(timeout, "prepare", async {
                    let mut statement = Statement::new(text.clone());
                    statement.set_page_size(DEFAULT_PAGE_SIZE);
                    let prepared = session.prepare(statement).await?;
                    core.remember(SessionCore::cache_key(&session, &text), prepared.clone());
                    Ok(prepared)
                })
                .await;
                completer(result, |py, prepared| {
                    Ok(Py::new(py, PreparedStatement::new(prepared))?.into_any())
                })
            }) as Work)
        })))
    }

    /// Switch the session to another keyspace (`USE <keyspace>` on every connection).
    ///
    /// The name must be `[A-Za-z0-9_]+`, or a double-quoted case-sensitive name. Raises
    /// `InvalidRequest` if the keyspace does not exist.
    #[pyo3(signature = (keyspace, *, timeout=None))]
    fn set_keyspace(&self, keyspace: &str, timeout: Option<f64>) -> PyResult<PendingRequest> {
        let timeout = parse_timeout(timeout, self.core.default_timeout)?;
        let (name, case_sensitive) = validate_keyspace(keyspace)?;
        let core = self.core.clone();
        Ok(PendingRequest::new(Box::new(move |_py| {
            let session = core.live()?;
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
        })))
    }

    /// How rows are built: `None` (the default) makes `Row`s, with tuple, attribute and
    /// mapping access; `tuple` makes plain tuples, `dict` dicts; any other callable or class
    /// (a dataclass, a pydantic model) is called with the columns as keyword arguments.
    /// `execute(..., row_factory=...)` overrides it for one call.
    #[getter]
    fn get_row_factory(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.core
            .row_factory
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|f| f.clone_ref(py))
    }

    #[setter]
    fn set_row_factory(&self, factory: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let factory = checked_row_factory(factory)?;
        *self
            .core
            .row_factory
            .write()
            .unwrap_or_else(|p| p.into_inner()) = factory;
        Ok(())
    }

    /// The current keyspace, or `None`.
    #[getter]
    fn keyspace(&self) -> Option<String> {
        self.core
            .live()
            .ok()
            .and_then(|s| s.get_keyspace().map(|k| k.as_str().to_owned()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn is_closed(&self) -> bool {
        self.core
            .session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// Close the session's connections. Idempotent and prompt (no sleeps).
    ///
    /// Requests already in flight finish; any call made after `close()` raises
    /// `ConnectionClosed`.
    fn close(&self) -> PendingRequest {
        let taken = self
            .core
            .session
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
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
    fn __aexit__(&self, _exc_info: Bound<'_, pyo3::types::PyTuple>) -> PendingRequest {
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

/// Accepts `[A-Za-z0-9_]+` (case-insensitive, as CQL folds it) or a `"Quoted"` exact name.
pub fn validate_keyspace(keyspace: &str) -> PyResult<(String, bool)> {
    let (name, case_sensitive) = match keyspace.strip_prefix('"').and_then(|k| k.strip_suffix('"'))
    {
        Some(inner) => (inner, true),
        None => (keyspace, false),
    };
    let valid = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(value_error(format!(
            "invalid keyspace name {keyspace:?}: use 1 to 48 letters, digits or underscores"
        )));
    }
    // CQL folds unquoted names to lower case; fold here too so that `keyspace` reports the
    // name the server uses.
    let name = if case_sensitive {
        name.to_owned()
    } else {
        name.to_ascii_lowercase()
    };
    Ok((name, case_sensitive))
}

/// The call's `timeout=` wins over the statement's own, which wins over the session default
/// (`call_or_default` is the call's value already parsed, or the default when it is None).
pub(crate) fn effective_timeout(
    call: Option<f64>,
    statement: Option<Duration>,
    call_or_default: Option<Duration>,
) -> Option<Duration> {
    match (call, statement) {
        (None, Some(own)) => Some(own),
        _ => call_or_default,
    }
}

/// A row factory must be callable (`None`: the default `Row`).
fn checked_row_factory(factory: Option<Bound<'_, PyAny>>) -> PyResult<Option<Arc<Py<PyAny>>>> {
    match factory {
        None => Ok(None),
        Some(f) if f.is_none() => Ok(None),
        Some(f) if f.is_callable() => Ok(Some(Arc::new(f.unbind()))),
        Some(f) => Err(type_error(format!(
            "row_factory must be None, tuple, dict or a callable, got {}",
            crate::types::python_type_name(&f)
        ))),
    }
}

static CONCURRENT: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

/// A function of `aiocql.concurrent`, where bounded concurrency is written with asyncio itself.
fn concurrent_helper<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = CONCURRENT.get_or_try_init(py, || {
        py.import("aiocql.concurrent")
            .map(|m| m.into_any().unbind())
    })?;
    module.bind(py).getattr(name)
}

fn concurrent_kwargs<'py>(
    py: Python<'py>,
    concurrency: i64,
    timeout: Option<f64>,
    raise_on_first_error: Option<bool>,
) -> PyResult<Bound<'py, PyDict>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("concurrency", concurrency)?;
    kwargs.set_item("timeout", timeout)?;
    if let Some(raise) = raise_on_first_error {
        kwargs.set_item("raise_on_first_error", raise)?;
    }
    Ok(kwargs)
}

static SIMPLE_STATEMENT: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
static BATCH_STATEMENT: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

/// Whether `query` is an instance of `aiocql.statement.<name>`.
fn is_statement_class(query: &Bound<'_, PyAny>, name: &'static str) -> PyResult<bool> {
    let py = query.py();
    let cell = if name == "BatchStatement" {
        &BATCH_STATEMENT
    } else {
        &SIMPLE_STATEMENT
    };
    let class = cell.get_or_try_init(py, || {
        py.import("aiocql.statement")?
            .getattr(name)
            .map(Bound::unbind)
    })?;
    query.is_instance(class.bind(py))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_names_are_validated_before_any_io() {
        assert_eq!(validate_keyspace("ks_1").ok(), Some(("ks_1".into(), false)));
        assert_eq!(validate_keyspace("Ks_1").ok(), Some(("ks_1".into(), false)));
        assert_eq!(
            validate_keyspace("\"MyKs\"").ok(),
            Some(("MyKs".into(), true))
        );
        Python::initialize();
        for bad in ["", "a b", "ks;DROP", "\"\"", &"x".repeat(49)] {
            assert!(validate_keyspace(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn timeouts_must_be_positive_and_finite() {
        Python::initialize();
        assert_eq!(parse_timeout(None, None).ok(), Some(None));
        assert_eq!(
            parse_timeout(Some(1.5), None).ok(),
            Some(Some(Duration::from_millis(1500)))
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(parse_timeout(Some(bad), None).is_err());
        }
    }
}
