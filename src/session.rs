//! `AsyncSession`: executing, preparing, and closing.

use std::collections::HashMap;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use scylla::client::session::Session as ScyllaSession;
use scylla::response::query_result::QueryResult;
use scylla::response::PagingState;
use scylla::statement::bound::BoundStatement as ScyllaBound;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;

use crate::errors::{type_error, value_error, DriverError, DriverResult};
use crate::options::StatementOptions;
use crate::result::build_result_set;
use crate::runtime::{completer, with_timeout, PendingRequest, Ready, Work};
use crate::statement::{bind, has_parameters, BoundStatement, PreparedStatement};
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
pub struct ResultContext {
    user_types: Option<Arc<Py<PyDict>>>,
    row_factory: Option<Arc<Py<PyAny>>>,
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

/// The future of a whole result, boxed.
///
/// The driver's request future is ~8 KB. Boxed here, it is built on the I/O thread when the
/// request is first polled, and the work handed over from the asyncio thread stays a few hundred
/// bytes: the asyncio thread no longer copies 8 KB per request (~8% of its time in profiles).
type Fetch<'a> = Pin<Box<dyn Future<Output = DriverResult<Vec<QueryResult>>> + Send + 'a>>;

/// Reads every page of a bound statement.
fn fetch_all_bound<'a>(session: &'a ScyllaSession, bound: &'a ScyllaBound) -> Fetch<'a> {
    Box::pin(async move {
        let mut pages = Vec::new();
        let mut paging_state = PagingState::start();
        loop {
            let (page, next) = session
                .execute_bound_single_page(bound, paging_state)
                .await?;
            pages.push(page);
            match next.into_paging_control_flow() {
                ControlFlow::Break(()) => return Ok(pages),
                ControlFlow::Continue(state) => paging_state = state,
            }
        }
    })
}

/// Reads every page of an unprepared statement without parameters.
fn fetch_all_unprepared<'a>(session: &'a ScyllaSession, statement: &'a Statement) -> Fetch<'a> {
    Box::pin(async move {
        let mut pages = Vec::new();
        let mut paging_state = PagingState::start();
        loop {
            let (page, next) = session
                .query_single_page(statement.clone(), (), paging_state)
                .await?;
            pages.push(page);
            match next.into_paging_control_flow() {
                ControlFlow::Break(()) => return Ok(pages),
                ControlFlow::Continue(state) => paging_state = state,
            }
        }
    })
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

#[pymethods]
impl Session {
    /// Run a CQL statement and return all its rows as an `AsyncResultSet`.
    ///
    /// `query` is a CQL string or a `PreparedStatement`. `parameters` fill its bind markers: a
    /// sequence for `?` markers, a mapping for `:name` markers. A string with parameters is
    /// prepared once and the prepared statement cached. Every page of the result is fetched.
    ///
    /// Raises `ParameterTypeError`/`ParameterValueError` for values that do not fit their
    /// column (nothing is sent), server errors such as `InvalidRequest` or `SyntaxException`,
    /// `OperationTimedOut` after `timeout` seconds, `ConnectionClosed` after `close()`.
    ///
    ///     rs = await session.execute("SELECT * FROM users WHERE id = ?", [user_id])
    #[pyo3(signature = (query, parameters=None, *, timeout=None, row_factory=None))]
    fn execute(
        &self,
        query: Bound<'_, PyAny>,
        parameters: Option<Bound<'_, PyAny>>,
        timeout: Option<f64>,
        row_factory: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PendingRequest> {
        let row_factory = checked_row_factory(row_factory)?;
        let timeout_arg = timeout;
        let timeout = parse_timeout(timeout, self.core.default_timeout)?;
        let core = self.core.clone();
        if let Ok(bound) = query.cast::<BoundStatement>() {
            if has_parameters(parameters.as_ref()) {
                return Err(type_error(
                    "a BoundStatement already has its parameters; pass none to execute()",
                ));
            }
            let bound = bound.clone().unbind();
            let timeout = effective_timeout(timeout_arg, bound.get().timeout, timeout);
            return Ok(PendingRequest::new(Box::new(move |py| {
                let session = core.live()?;
                let bound = bound.get().to_scylla().map_err(|e| e.into_pyerr(py))?;
                let context = core.result_context(row_factory.clone());
                Ok(Box::pin(async move {
                    let result =
                        with_timeout(timeout, "request", fetch_all_bound(&session, &bound)).await;
                    result_completer(result, context)
                }) as Work)
            })));
        }
        if let Ok(prepared) = query.cast::<PreparedStatement>() {
            let (configured, own_timeout) = prepared.get().configured()?;
            let timeout = effective_timeout(timeout_arg, own_timeout, timeout);
            let parameters = parameters.map(Bound::unbind);
            return Ok(PendingRequest::new(Box::new(move |py| {
                let session = core.live()?;
                let bound = bind(configured, parameters.as_ref().map(|p| p.bind(py)))
                    .map_err(|e| e.into_pyerr(py))?;
                let context = core.result_context(row_factory.clone());
                Ok(Box::pin(async move {
                    let result =
                        with_timeout(timeout, "request", fetch_all_bound(&session, &bound)).await;
                    result_completer(result, context)
                }) as Work)
            })));
        }
        let (text, options) = if let Ok(text) = query.cast::<PyString>() {
            (text.to_str()?.to_owned(), StatementOptions::default())
        } else if is_statement_class(&query, "BatchStatement")? {
            return crate::batch::execute_batch(core, &query, timeout_arg, row_factory);
        } else if is_statement_class(&query, "SimpleStatement")? {
            let text: String = query.getattr("query_string")?.extract()?;
            (text, StatementOptions::from_statement(&query)?)
        } else {
            return Err(type_error(format!(
                "query must be a str, a SimpleStatement, a PreparedStatement, a BoundStatement or a BatchStatement, got {}",
                crate::types::python_type_name(&query)
            )));
        };
        let timeout = effective_timeout(timeout_arg, options.timeout, timeout);
        if !has_parameters(parameters.as_ref()) {
            return Ok(PendingRequest::new(Box::new(move |_py| {
                let session = core.live()?;
                let mut statement = Statement::new(text);
                statement.set_page_size(DEFAULT_PAGE_SIZE);
                options.apply_to_statement(&mut statement);
                let context = core.result_context(row_factory.clone());
                Ok(Box::pin(async move {
                    let result = with_timeout(
                        timeout,
                        "request",
                        fetch_all_unprepared(&session, &statement),
                    )
                    .await;
                    result_completer(result, context)
                }) as Work)
            })));
        }
        let parameters = parameters.map(Bound::unbind);
        // cassandra-driver's %s / %(name)s placeholders, bound server-side like ? and :name.
        let text = crate::placeholders::translate(&text).into_owned();
        Ok(PendingRequest::new(Box::new(move |py| {
            let session = core.live()?;
            let key = SessionCore::cache_key(&session, &text);
            if let Some(mut prepared) = core.cached(&key) {
                options.apply_to_prepared(&mut prepared);
                let bound = bind(prepared, parameters.as_ref().map(|p| p.bind(py)))
                    .map_err(|e| e.into_pyerr(py))?;
                let context = core.result_context(row_factory.clone());
                return Ok(Box::pin(async move {
                    let result =
                        with_timeout(timeout, "request", fetch_all_bound(&session, &bound)).await;
                    result_completer(result, context)
                }) as Work);
            }
            let context = core.result_context(row_factory.clone());
            // First use of this query text: prepare it, then bind. Binding needs the GIL, which
            // is taken briefly on the I/O thread; later calls hit the cache and bind up front.
            Ok(Box::pin(async move {
                let result = with_timeout(timeout, "request", async {
                    let mut statement = Statement::new(text);
                    statement.set_page_size(DEFAULT_PAGE_SIZE);
                    let mut prepared = session.prepare(statement).await?;
                    // The cache keeps the statement as prepared; the options are this call's.
                    core.remember(key, prepared.clone());
                    options.apply_to_prepared(&mut prepared);
                    let bound = Python::attach(|py| {
                        bind(prepared, parameters.as_ref().map(|p| p.bind(py)))
                    })?;
                    fetch_all_bound(&session, &bound).await
                })
                .await;
                result_completer(result, context)
            }) as Work)
        })))
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
