//! Cluster metadata through a session: the snapshot `cluster.metadata` reads, a refresh, and
//! schema agreement. Each is the `scylla` crate's own (`get_cluster_state`, `refresh_metadata`,
//! `await_schema_agreement`, `check_schema_agreement`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use scylla::client::session::Session as ScyllaSession;
use scylla::cluster::ClusterState;
use scylla::errors::SchemaAgreementError;
use scylla::policies::load_balancing::{NodeIdentifier, SingleTargetLoadBalancingPolicy};
use scylla::statement::unprepared::Statement;
use uuid::Uuid;

use super::core::SessionCore;
use super::deadline::with_timeout;
use super::request::request;
use crate::bridge::{completer, PendingRequest, Work};
use crate::errors::{DriverError, DriverResult};
use crate::metadata::hosts::{py_uuid, ReleaseVersions};
use crate::metadata::snapshot::{ClusterView, Metadata};

/// A session's current view of the cluster, for a snapshot's `get_replicas`. Weak: a snapshot
/// kept by the application does not keep the session alive.
struct SessionView(Weak<SessionCore>);

impl ClusterView for SessionView {
    fn current(&self) -> DriverResult<Arc<ClusterState>> {
        let core = self
            .0
            .upgrade()
            .ok_or(DriverError::Closed("Session is closed"))?;
        Ok(core.live()?.get_cluster_state())
    }

    fn release_versions(&self) -> Arc<ReleaseVersions> {
        self.0
            .upgrade()
            .map(|core| core.release_versions())
            .unwrap_or_default()
    }
}

/// The release version of every node the cluster knows, from one connected node's
/// `system.local` (its own) and `system.peers` (the others'), both sent to that node.
pub(crate) async fn read_release_versions(
    session: &ScyllaSession,
) -> DriverResult<ReleaseVersions> {
    let state = session.get_cluster_state();
    let mut versions = ReleaseVersions::new();
    let Some(node) = state.get_nodes_info().iter().find(|n| n.is_connected()) else {
        return Ok(versions);
    };
    let target = SingleTargetLoadBalancingPolicy::new(NodeIdentifier::Node(node.clone()), None);
    for table in ["system.local", "system.peers"] {
        let mut statement = Statement::new(format!("SELECT host_id, release_version FROM {table}"));
        statement.set_load_balancing_policy(Some(target.clone()));
        statement.set_is_idempotent(true);
        let undecodable = |e: &dyn std::fmt::Display| {
            DriverError::Protocol(format!(
                "{table}: unexpected host_id or release_version: {e}"
            ))
        };
        let result = session.query_unpaged(statement, ()).await?;
        let rows = result.into_rows_result().map_err(|e| undecodable(&e))?;
        for row in rows
            .rows::<(Option<Uuid>, Option<String>)>()
            .map_err(|e| undecodable(&e))?
        {
            if let (Some(id), Some(version)) = row.map_err(|e| undecodable(&e))? {
                versions.insert(id, version);
            }
        }
    }
    Ok(versions)
}

/// A snapshot of the driver's view of the cluster; `ConnectionClosed` once the session is
/// closed. No I/O: the crate keeps its state up to date in the background.
pub(crate) fn snapshot(core: &Arc<SessionCore>) -> DriverResult<Metadata> {
    let state = core.live()?.get_cluster_state();
    let schema = core.schema_cache().schema(&state);
    let view = Arc::new(SessionView(Arc::downgrade(core)));
    Ok(Metadata::new(&state, schema, view))
}

/// Reads the cluster's topology and schema again now, within `timeout`.
pub(crate) fn refresh(core: &Arc<SessionCore>, timeout: Option<Duration>) -> PendingRequest {
    request(core, move |_py, core, session| {
        Ok(Box::pin(async move {
            let result = with_timeout(timeout, "metadata refresh", async {
                session
                    .refresh_metadata()
                    .await
                    .map_err(DriverError::from)?;
                core.set_release_versions(read_release_versions(&session).await?);
                Ok(())
            })
            .await;
            completer(result, |py, ()| Ok(py.None()))
        }) as Work)
    })
}

/// Waits until every reachable node reports the same schema version, within `timeout`; the
/// version is the result.
pub(crate) fn await_agreement(
    core: &Arc<SessionCore>,
    timeout: Option<Duration>,
) -> PendingRequest {
    request(core, move |_py, _core, session| {
        Ok(Box::pin(async move {
            let result = with_timeout(timeout, "schema agreement", async {
                loop {
                    match session.await_schema_agreement().await {
                        Ok(version) => return Ok(version),
                        // The crate's own bound (max_schema_agreement_wait, or 60 s when DDL
                        // does not wait) ran out: the call's timeout is the one that counts.
                        Err(SchemaAgreementError::Timeout(_)) => continue,
                        Err(other) => return Err(DriverError::from(other)),
                    }
                }
            })
            .await
            .map_err(|e| match e {
                DriverError::OperationTimedOut { timeout, .. } => {
                    DriverError::SchemaAgreementTimeout {
                        prefix: "",
                        timeout,
                    }
                }
                other => other,
            });
            completer(result, |py, version| Ok(py_uuid(py, &version)?.unbind()))
        }) as Work)
    })
}

/// Asks every reachable node its schema version once, within `timeout`: the version if they
/// agree, else None.
pub(crate) fn check_agreement(
    core: &Arc<SessionCore>,
    timeout: Option<Duration>,
) -> PendingRequest {
    request(core, move |_py, _core, session| {
        Ok(Box::pin(async move {
            let result = with_timeout(timeout, "schema agreement check", async {
                session
                    .check_schema_agreement()
                    .await
                    .map_err(DriverError::from)
            })
            .await;
            completer(result, |py, version| match version {
                Some(version) => Ok(py_uuid(py, &version)?.unbind()),
                None => Ok(py.None()),
            })
        }) as Work)
    })
}
