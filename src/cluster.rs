//! `connect()`, the Python face of opening a session (`aiocql.AsyncCluster.connect` calls it):
//! reads its arguments and calls down into `execution::connect`. And the cluster's metadata,
//! read through one of its sessions: `cluster_metadata()`, `refresh_metadata()` and
//! `host_events()` (for `AsyncCluster.metadata`, `refresh_schema_metadata()`, `refresh_nodes()`
//! and `host_events()`).

use pyo3::prelude::*;

use crate::bridge::{completer, PendingRequest};
use crate::config::cluster::ClusterConfig;
use crate::execution::connect::connect as open_session;
use crate::execution::core::SessionCore;
use crate::execution::deadline::deadline;
use crate::execution::{host_events as events, metadata};
use crate::interop::args;
use crate::metadata::events::HostEvents;
use crate::metadata::snapshot::Metadata;
use crate::session::Session;

/// Opens a session: resolves the contact points, connects the pools, optionally `USE`s a
/// keyspace. Raises `NoHostAvailable` when no contact point answers within `timeout` (default:
/// the cluster's `connect_timeout`).
#[pyfunction]
#[pyo3(signature = (config, keyspace=None, *, timeout=None))]
pub(crate) fn connect(
    config: Py<ClusterConfig>,
    keyspace: Option<&str>,
    timeout: Option<f64>,
) -> PyResult<PendingRequest> {
    let connect_timeout = config.get().connect_timeout();
    let limit =
        deadline(args::timeout(timeout)?, None, Some(connect_timeout)).unwrap_or(connect_timeout);
    let keyspace = keyspace.map(args::keyspace).transpose()?;
    Ok(PendingRequest::from_work(async move {
        let settings = config.get();
        let result = open_session(settings, keyspace, limit).await;
        let (cache_size, user_types) = (settings.prepared_cache_size(), settings.user_types());
        completer(result, move |py, (session, profiles, versions)| {
            let core = SessionCore::new(session, profiles, cache_size, user_types);
            core.set_release_versions(versions);
            Ok(Py::new(py, Session::new(core))?.into_any())
        })
    }))
}

/// A snapshot of the cluster as `session`'s driver sees it. No I/O. Raises `ConnectionClosed`
/// if the session is closed.
#[pyfunction]
pub(crate) fn cluster_metadata(session: &Bound<'_, Session>) -> PyResult<Metadata> {
    Ok(metadata::snapshot(session.get().core())?)
}

/// Reads the cluster's topology and schema again through `session`, within `timeout` (default:
/// the session's `request_timeout`).
#[pyfunction]
#[pyo3(signature = (session, *, timeout=None))]
pub(crate) fn refresh_metadata(
    session: &Bound<'_, Session>,
    timeout: Option<f64>,
) -> PyResult<PendingRequest> {
    let core = session.get().core();
    let timeout = deadline(args::timeout(timeout)?, None, core.default_timeout());
    Ok(metadata::refresh(core, timeout))
}

/// The host events `session`'s driver sees from now on, until the session is closed.
#[pyfunction]
pub(crate) fn host_events(session: &Bound<'_, Session>) -> PyResult<HostEvents> {
    events::watch(session.get().core())
}
