//! A session's execution profiles: the crate's profile handles, made once the session knows the
//! cluster (so that a datacenter-aware policy without `local_dc` uses the contact points'
//! datacenter), with the timeout and row factory that aiocql applies itself.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use scylla::client::execution_profile::ExecutionProfileHandle;
use scylla::client::session::Session as ScyllaSession;
use scylla::cluster::ClusterState;
use scylla::observability::history::HistoryListener;

use crate::config::cluster::Profiles;
use crate::config::profile::{ProfileSettings, DEFAULT_PROFILE};
use crate::errors::{DriverError, DriverResult};
use crate::policies::load_balancing::Balancing;

/// What a call that names a profile gets from it.
pub(crate) struct ProfileRuntime {
    /// None for the default profile, which is the session's own.
    pub handle: Option<ExecutionProfileHandle>,
    pub timeout: Option<Duration>,
    pub row_factory: Option<Arc<Py<PyAny>>>,
    /// Whether it has a speculative execution policy (whose attempts the session counts).
    pub speculative: bool,
}

/// How a call's statement runs: its execution profile (None: the session's default) and the
/// listener counting its speculative attempts (None when its profile never speculates).
#[derive(Clone, Default)]
pub(crate) struct Routing {
    pub handle: Option<ExecutionProfileHandle>,
    pub listener: Option<Arc<dyn HistoryListener>>,
    /// `trace=True`: the server traces the request.
    pub tracing: bool,
}

/// The profiles of one session: the default one (kept apart: every call without
/// `execution_profile=` reads it), and the others by name.
pub(crate) struct SessionProfiles {
    default: ProfileRuntime,
    named: HashMap<String, ProfileRuntime>,
}

impl SessionProfiles {
    /// The profile `name`; `ConfigurationError` listing the known names if there is none.
    pub(crate) fn get(&self, name: &str) -> DriverResult<&ProfileRuntime> {
        if name == DEFAULT_PROFILE {
            return Ok(&self.default);
        }
        self.named.get(name).ok_or_else(|| {
            let mut known: Vec<&str> = self.named.keys().map(String::as_str).collect();
            known.push(DEFAULT_PROFILE);
            known.sort_unstable();
            DriverError::Configuration(format!(
                "no execution profile named {name:?}; the cluster has {}",
                known.join(", ")
            ))
        })
    }

    /// The default profile.
    pub(crate) fn default_profile(&self) -> &ProfileRuntime {
        &self.default
    }
}

/// The provisional default profile a session is built with: it only needs to be replaced by
/// [`resolve`] before the session serves a request.
pub(crate) fn provisional_default(profiles: &Profiles) -> ExecutionProfileHandle {
    profiles.default.crate_profile(None).into_handle()
}

/// Makes the crate's profiles for `profiles`, now that `session` knows the cluster, and points
/// `default_handle` (the session's default profile) at the default one. `ConfigurationError`
/// when a policy names a datacenter or rack the cluster does not have, or when the local
/// datacenter is needed and cannot be told from the contact points.
pub(crate) async fn resolve(
    session: &ScyllaSession,
    profiles: &Profiles,
    contact_points: &[String],
    mut default_handle: ExecutionProfileHandle,
) -> DriverResult<SessionProfiles> {
    let state = session.get_cluster_state();
    let all: Vec<(&str, &ProfileSettings)> = std::iter::once((DEFAULT_PROFILE, &profiles.default))
        .chain(profiles.named.iter().map(|(n, s)| (n.as_str(), s)))
        .collect();
    for (name, settings) in &all {
        check_placement(&state, name, &settings.balancing)?;
    }
    let inferred = if all.iter().any(|(_, s)| s.balancing.needs_local_dc()) {
        Some(contact_points_datacenter(&state, contact_points).await?)
    } else {
        None
    };
    let inferred = inferred.as_deref();
    default_handle.map_to_another_profile(profiles.default.crate_profile(inferred));
    let default = ProfileRuntime {
        handle: None,
        timeout: profiles.default.request_timeout,
        row_factory: profiles.default.row_factory.clone(),
        speculative: profiles.default.speculative.is_some(),
    };
    let mut named = HashMap::new();
    for (name, settings) in &profiles.named {
        let handle = settings
            .crate_profile(inferred)
            .into_handle_with_label(name.clone());
        named.insert(
            name.clone(),
            ProfileRuntime {
                handle: Some(handle),
                timeout: settings.request_timeout,
                row_factory: settings.row_factory.clone(),
                speculative: settings.speculative.is_some(),
            },
        );
    }
    Ok(SessionProfiles { default, named })
}

fn datacenters(state: &ClusterState) -> BTreeSet<&str> {
    state
        .get_nodes_info()
        .iter()
        .filter_map(|node| node.datacenter.as_deref())
        .collect()
}

/// A policy's `local_dc` (and `local_rack`) must exist: a misspelt name would otherwise send
/// every request to a plan with no node in it.
fn check_placement(state: &ClusterState, profile: &str, balancing: &Balancing) -> DriverResult<()> {
    let Some(dc) = balancing.local_dc() else {
        return Ok(());
    };
    let known = datacenters(state);
    if !known.contains(dc) {
        return Err(DriverError::Configuration(format!(
            "local_dc {dc:?} of execution profile {profile:?} is not a datacenter of the \
             cluster; its datacenters are {}",
            known.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(rack) = balancing.local_rack() {
        let racks: BTreeSet<&str> = state
            .get_nodes_info()
            .iter()
            .filter(|node| node.datacenter.as_deref() == Some(dc))
            .filter_map(|node| node.rack.as_deref())
            .collect();
        if !racks.contains(rack) {
            return Err(DriverError::Configuration(format!(
                "local_rack {rack:?} of execution profile {profile:?} is not a rack of \
                 datacenter {dc:?}; its racks are {}",
                racks.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(())
}

/// The datacenter of the first contact point that is a node of the cluster (cassandra-driver's
/// rule for a `DCAwareRoundRobinPolicy` without `local_dc`), or the only datacenter there is.
async fn contact_points_datacenter(
    state: &ClusterState,
    contact_points: &[String],
) -> DriverResult<String> {
    for point in contact_points {
        let Ok(addresses) = tokio::net::lookup_host(point.as_str()).await else {
            continue;
        };
        let addresses: Vec<SocketAddr> = addresses.collect();
        let found = state.get_nodes_info().iter().find_map(|node| {
            let address = SocketAddr::new(node.address.ip(), node.address.port());
            addresses
                .contains(&address)
                .then(|| node.datacenter.clone())
                .flatten()
        });
        if let Some(dc) = found {
            return Ok(dc);
        }
    }
    let known = datacenters(state);
    match known.len() {
        1 => Ok(known
            .into_iter()
            .next()
            .map(str::to_owned)
            .unwrap_or_default()),
        _ => Err(DriverError::Configuration(format!(
            "cannot tell the local datacenter: no contact point is a node of the cluster, \
             whose datacenters are {}; pass DCAwareRoundRobinPolicy(local_dc=...)",
            known.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}
