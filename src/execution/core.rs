//! [`SessionCore`]: the state a session shares with its in-flight requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use scylla::client::session::Session as ScyllaSession;
use scylla::observability::history::HistoryListener;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

use super::metrics::{SessionMetrics, SpeculationCounter};
use super::prepared_cache::{CacheKey, PreparedCache};
use super::profiles::{ProfileRuntime, Routing, SessionProfiles};
use crate::errors::{DriverError, DriverResult};
use crate::interop::sync::{lock, read, write};
use crate::metadata::hosts::ReleaseVersions;
use crate::metadata::schema::SchemaCache;
use crate::results::context::ResultContext;

/// The stored `default_timeout` meaning "no limit".
const NO_TIMEOUT: u64 = u64::MAX;

fn timeout_nanos(timeout: Option<Duration>) -> u64 {
    timeout.map_or(NO_TIMEOUT, |t| {
        u64::try_from(t.as_nanos()).unwrap_or(NO_TIMEOUT - 1)
    })
}

/// A session's driver session (until it is closed), defaults and caches.
pub(crate) struct SessionCore {
    session: RwLock<Option<Arc<ScyllaSession>>>,
    /// `session.default_timeout` in nanoseconds, [`NO_TIMEOUT`] for none: read by every call.
    default_timeout: AtomicU64,
    prepared: Mutex<PreparedCache>,
    user_types: Option<Arc<Py<PyDict>>>,
    /// `session.row_factory`: None builds `Row`s.
    row_factory: RwLock<Option<Arc<Py<PyAny>>>>,
    profiles: SessionProfiles,
    speculation: Arc<SpeculationCounter>,
    /// The schema copied for `cluster.metadata`, kept until the crate's state changes.
    schema: SchemaCache,
    /// The nodes' release versions, read at connect and by each refresh.
    release_versions: RwLock<Arc<ReleaseVersions>>,
}

impl SessionCore {
    /// `profiles` gives the session's default timeout and row factory (its default profile's).
    pub(crate) fn new(
        session: ScyllaSession,
        profiles: SessionProfiles,
        prepared_cache_size: usize,
        user_types: Option<Arc<Py<PyDict>>>,
    ) -> Self {
        let default = profiles.default_profile();
        SessionCore {
            session: RwLock::new(Some(Arc::new(session))),
            default_timeout: AtomicU64::new(timeout_nanos(default.timeout)),
            prepared: Mutex::new(PreparedCache::new(prepared_cache_size)),
            user_types,
            row_factory: RwLock::new(default.row_factory.clone()),
            profiles,
            speculation: Arc::new(SpeculationCounter::default()),
            schema: SchemaCache::default(),
            release_versions: RwLock::default(),
        }
    }

    /// The profile of calls without `execution_profile=`.
    pub(crate) fn default_profile(&self) -> &ProfileRuntime {
        self.profiles.default_profile()
    }

    /// How a statement run under `profile` is sent.
    pub(crate) fn routing(&self, profile: &ProfileRuntime) -> Routing {
        Routing {
            handle: profile.handle.clone(),
            listener: profile
                .speculative
                .then(|| self.speculation.clone() as Arc<dyn HistoryListener>),
            tracing: false,
        }
    }

    /// What the session has done so far; `ConnectionClosed` once it is closed.
    pub(crate) fn metrics(&self) -> DriverResult<SessionMetrics> {
        let session = self.live()?;
        Ok(SessionMetrics::new(
            &session.get_metrics(),
            &self.speculation,
        ))
    }

    /// The execution profile `name`; `ConfigurationError` naming the known ones if unknown.
    pub(crate) fn profile(&self, name: &str) -> DriverResult<&ProfileRuntime> {
        self.profiles.get(name)
    }

    /// The driver session, unless the session was closed.
    pub(crate) fn live(&self) -> DriverResult<Arc<ScyllaSession>> {
        read(&self.session)
            .clone()
            .ok_or(DriverError::Closed("Session is closed"))
    }

    /// Marks the session closed and hands back the driver session, to be dropped off the loop.
    pub(crate) fn close(&self) -> Option<Arc<ScyllaSession>> {
        write(&self.session).take()
    }

    /// The copy of the schema `cluster.metadata` reads.
    /// The nodes' release versions, as last read.
    pub(crate) fn release_versions(&self) -> Arc<ReleaseVersions> {
        read(&self.release_versions).clone()
    }

    pub(crate) fn set_release_versions(&self, versions: ReleaseVersions) {
        *write(&self.release_versions) = Arc::new(versions);
    }

    pub(crate) fn schema_cache(&self) -> &SchemaCache {
        &self.schema
    }

    pub(crate) fn is_closed(&self) -> bool {
        read(&self.session).is_none()
    }

    /// The session's `request_timeout`: a call's default deadline.
    pub(crate) fn default_timeout(&self) -> Option<Duration> {
        match self.default_timeout.load(Ordering::Relaxed) {
            NO_TIMEOUT => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// `session.default_timeout = ...`: the timeout of later calls without `timeout=` under
    /// the default profile.
    pub(crate) fn set_default_timeout(&self, timeout: Option<Duration>) {
        self.default_timeout
            .store(timeout_nanos(timeout), Ordering::Relaxed);
    }

    pub(crate) fn row_factory(&self) -> Option<Arc<Py<PyAny>>> {
        read(&self.row_factory).clone()
    }

    pub(crate) fn set_row_factory(&self, factory: Option<Arc<Py<PyAny>>>) {
        *write(&self.row_factory) = factory;
    }

    /// How the rows of a call with `row_factory` are built (None: the session's factory).
    pub(crate) fn result_context(&self, row_factory: Option<Arc<Py<PyAny>>>) -> ResultContext {
        ResultContext::new(
            self.user_types.clone(),
            row_factory.or_else(|| self.row_factory()),
        )
    }

    pub(crate) fn cached(&self, key: &CacheKey) -> Option<ScyllaPrepared> {
        lock(&self.prepared).get(key)
    }

    pub(crate) fn remember(&self, key: CacheKey, prepared: ScyllaPrepared) {
        lock(&self.prepared).insert(key, prepared);
    }
}
