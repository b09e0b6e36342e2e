//! Load-balancing policies: which nodes a request is sent to, in which order. Each Python class
//! describes a configuration of the crate's `DefaultPolicy` (round robin, datacenter and rack
//! preference, token awareness, datacenter failover); the policy itself is built when a session
//! connects, once the local datacenter is known.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use scylla::cluster::{ClusterState, NodeRef};
use scylla::errors::RequestAttemptError;
use scylla::policies::load_balancing::{
    DefaultPolicy, FallbackPlan, LoadBalancingPolicy, RoutingInfo,
};
use scylla::routing::Shard;

use super::invalid;
use crate::errors::DriverResult;
use crate::interop::names::describe;

/// Where requests may go: any node, or the local datacenter (or rack) first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Locality {
    /// Every node alike, whatever its datacenter.
    Anywhere,
    /// The local datacenter (None: the datacenter of the contact points, found at connect), then
    /// up to `remote_hosts` nodes of each other datacenter.
    Datacenter {
        local_dc: Option<String>,
        remote_hosts: u32,
    },
    /// The local rack, then the rest of the local datacenter, then up to `remote_hosts` nodes
    /// of each other datacenter.
    Rack {
        local_dc: String,
        local_rack: String,
        remote_hosts: u32,
    },
}

/// A load-balancing policy as the user described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Balancing {
    pub locality: Locality,
    /// Replicas of the request's partition first (prepared statements with a partition key).
    pub token_aware: bool,
    /// Replicas in random order rather than the ring's.
    pub shuffle_replicas: bool,
}

impl Default for Balancing {
    /// cassandra-driver's default: `TokenAwarePolicy(DCAwareRoundRobinPolicy())`.
    fn default() -> Self {
        Balancing {
            locality: Locality::Datacenter {
                local_dc: None,
                remote_hosts: 0,
            },
            token_aware: true,
            shuffle_replicas: true,
        }
    }
}

impl Balancing {
    /// True if the local datacenter is to be found from the contact points at connect.
    pub(crate) fn needs_local_dc(&self) -> bool {
        matches!(self.locality, Locality::Datacenter { local_dc: None, .. })
    }

    /// The datacenter this policy keeps requests in, if it names one.
    pub(crate) fn local_dc(&self) -> Option<&str> {
        match &self.locality {
            Locality::Anywhere => None,
            Locality::Datacenter { local_dc, .. } => local_dc.as_deref(),
            Locality::Rack { local_dc, .. } => Some(local_dc),
        }
    }

    /// The rack this policy prefers, if any.
    pub(crate) fn local_rack(&self) -> Option<&str> {
        match &self.locality {
            Locality::Rack { local_rack, .. } => Some(local_rack),
            _ => None,
        }
    }

    /// The crate's policy; a datacenter policy without a `local_dc` uses `inferred_dc` (the
    /// contact points' datacenter).
    pub(crate) fn build(&self, inferred_dc: Option<&str>) -> Arc<dyn LoadBalancingPolicy> {
        let builder = DefaultPolicy::builder()
            .token_aware(self.token_aware)
            .enable_shuffling_replicas(self.shuffle_replicas);
        let (builder, local_dc, remote_hosts) = match &self.locality {
            Locality::Anywhere => (builder.prefer_no_datacenter(), None, 0),
            Locality::Datacenter {
                local_dc,
                remote_hosts,
            } => match local_dc.as_deref().or(inferred_dc) {
                Some(dc) => (
                    builder.prefer_datacenter(dc.to_owned()),
                    Some(dc),
                    *remote_hosts,
                ),
                None => (builder.prefer_no_datacenter(), None, 0),
            },
            Locality::Rack {
                local_dc,
                local_rack,
                remote_hosts,
            } => (
                builder.prefer_datacenter_and_rack(local_dc.clone(), local_rack.clone()),
                Some(local_dc.as_str()),
                *remote_hosts,
            ),
        };
        let policy = builder.permit_dc_failover(remote_hosts > 0).build();
        match local_dc {
            Some(dc) if remote_hosts > 0 => Arc::new(RemoteHostsLimit {
                inner: policy,
                local_dc: dc.to_owned(),
                per_remote_dc: remote_hosts as usize,
            }),
            _ => policy,
        }
    }
}

/// The crate's policy, with at most `per_remote_dc` nodes of each remote datacenter in a plan
/// (cassandra-driver's `used_hosts_per_remote_dc`; the crate itself uses them all).
#[derive(Debug)]
struct RemoteHostsLimit {
    inner: Arc<dyn LoadBalancingPolicy>,
    local_dc: String,
    per_remote_dc: usize,
}

impl LoadBalancingPolicy for RemoteHostsLimit {
    fn pick<'a>(
        &'a self,
        request: &'a RoutingInfo,
        cluster: &'a ClusterState,
    ) -> Option<(NodeRef<'a>, Option<Shard>)> {
        self.inner.pick(request, cluster)
    }

    fn fallback<'a>(
        &'a self,
        request: &'a RoutingInfo,
        cluster: &'a ClusterState,
    ) -> FallbackPlan<'a> {
        let mut seen: HashMap<&'a str, Vec<_>> = HashMap::new();
        let local_dc = self.local_dc.as_str();
        let limit = self.per_remote_dc;
        Box::new(
            self.inner
                .fallback(request, cluster)
                .filter(move |(node, _)| match node.datacenter.as_deref() {
                    Some(dc) if dc == local_dc => true,
                    dc => {
                        let used = seen.entry(dc.unwrap_or("")).or_default();
                        let key = node.host_id;
                        if used.contains(&key) {
                            true
                        } else if used.len() < limit {
                            used.push(key);
                            true
                        } else {
                            false
                        }
                    }
                }),
        )
    }

    fn on_request_success(
        &self,
        request: &RoutingInfo,
        latency: std::time::Duration,
        node: NodeRef<'_>,
    ) {
        self.inner.on_request_success(request, latency, node)
    }

    fn on_request_failure(
        &self,
        request: &RoutingInfo,
        latency: std::time::Duration,
        node: NodeRef<'_>,
        error: &RequestAttemptError,
    ) {
        self.inner.on_request_failure(request, latency, node, error)
    }

    fn name(&self) -> String {
        format!(
            "{} (remote hosts per datacenter: {})",
            self.inner.name(),
            self.per_remote_dc
        )
    }
}

/// A name as a Python string literal, for reprs.
fn quoted(name: &str) -> String {
    format!("'{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn host_count(value: Option<Bound<'_, PyAny>>) -> DriverResult<u32> {
    let Some(value) = value else { return Ok(0) };
    (!value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>())
        .then(|| value.extract::<u32>().ok())
        .flatten()
        .ok_or_else(|| {
            invalid(format!(
                "used_hosts_per_remote_dc must be a non-negative int, got {}",
                describe(&value)
            ))
        })
}

fn location_name(
    what: &str,
    value: Option<Bound<'_, PyAny>>,
    required: bool,
) -> DriverResult<Option<String>> {
    match value.filter(|v| !v.is_none()) {
        None if required => Err(invalid(format!("{what} is required"))),
        None => Ok(None),
        Some(value) => match value.extract::<String>() {
            Ok(name) if !name.trim().is_empty() => Ok(Some(name)),
            Ok(_) if !required => Ok(None),
            _ => Err(invalid(format!(
                "{what} must be a datacenter or rack name (a non-empty str), got {}",
                describe(&value)
            ))),
        },
    }
}

/// Every node in turn, whatever its datacenter; not token-aware.
///
///     cluster = AsyncCluster(load_balancing_policy=RoundRobinPolicy())
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct RoundRobinPolicy {}

#[pymethods]
impl RoundRobinPolicy {
    #[new]
    fn new() -> Self {
        RoundRobinPolicy {}
    }

    fn __repr__(&self) -> &'static str {
        "RoundRobinPolicy()"
    }
}

/// The nodes of `local_dc` in turn; other datacenters are used only if
/// `used_hosts_per_remote_dc` > 0, and then at most that many nodes of each, after every local
/// node. Without `local_dc`, the local datacenter is the one of the first contact point that is
/// part of the cluster.
///
/// Raises `ConfigurationError` for an empty name or a negative count; `connect()` raises it for
/// a `local_dc` the cluster does not have.
///
///     policy = TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc="eu-west", used_hosts_per_remote_dc=1))
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct DCAwareRoundRobinPolicy {
    local_dc: Option<String>,
    used_hosts_per_remote_dc: u32,
}

#[pymethods]
impl DCAwareRoundRobinPolicy {
    #[new]
    #[pyo3(signature = (local_dc = None, used_hosts_per_remote_dc = None))]
    fn new(
        local_dc: Option<Bound<'_, PyAny>>,
        used_hosts_per_remote_dc: Option<Bound<'_, PyAny>>,
    ) -> DriverResult<Self> {
        Ok(DCAwareRoundRobinPolicy {
            local_dc: location_name("local_dc", local_dc, false)?,
            used_hosts_per_remote_dc: host_count(used_hosts_per_remote_dc)?,
        })
    }

    /// The local datacenter (None: found from the contact points at connect).
    #[getter]
    fn local_dc(&self) -> Option<String> {
        self.local_dc.clone()
    }

    /// Nodes of each remote datacenter a request may fail over to.
    #[getter]
    fn used_hosts_per_remote_dc(&self) -> u32 {
        self.used_hosts_per_remote_dc
    }

    fn __repr__(&self) -> String {
        format!(
            "DCAwareRoundRobinPolicy(local_dc={}, used_hosts_per_remote_dc={})",
            self.local_dc.as_deref().map_or("None".into(), quoted),
            self.used_hosts_per_remote_dc
        )
    }
}

/// The nodes of `local_rack` in `local_dc` first, then the rest of `local_dc`, then (with
/// `used_hosts_per_remote_dc` > 0) that many nodes of each other datacenter.
///
/// Raises `ConfigurationError` for a missing or empty name or a negative count.
///
///     policy = TokenAwarePolicy(RackAwareRoundRobinPolicy("eu-west", "rack1"))
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct RackAwareRoundRobinPolicy {
    local_dc: String,
    local_rack: String,
    used_hosts_per_remote_dc: u32,
}

#[pymethods]
impl RackAwareRoundRobinPolicy {
    #[new]
    #[pyo3(signature = (local_dc, local_rack, used_hosts_per_remote_dc = None))]
    fn new(
        local_dc: Bound<'_, PyAny>,
        local_rack: Bound<'_, PyAny>,
        used_hosts_per_remote_dc: Option<Bound<'_, PyAny>>,
    ) -> DriverResult<Self> {
        let required = |what: &str, value: Bound<'_, PyAny>| {
            location_name(what, Some(value), true)?
                .ok_or_else(|| invalid(format!("{what} is required")))
        };
        Ok(RackAwareRoundRobinPolicy {
            local_dc: required("local_dc", local_dc)?,
            local_rack: required("local_rack", local_rack)?,
            used_hosts_per_remote_dc: host_count(used_hosts_per_remote_dc)?,
        })
    }

    #[getter]
    fn local_dc(&self) -> String {
        self.local_dc.clone()
    }

    #[getter]
    fn local_rack(&self) -> String {
        self.local_rack.clone()
    }

    #[getter]
    fn used_hosts_per_remote_dc(&self) -> u32 {
        self.used_hosts_per_remote_dc
    }

    fn __repr__(&self) -> String {
        format!(
            "RackAwareRoundRobinPolicy({}, {}, used_hosts_per_remote_dc={})",
            quoted(&self.local_dc),
            quoted(&self.local_rack),
            self.used_hosts_per_remote_dc
        )
    }
}

/// Sends a request to a replica of its partition first (when the partition key is known: a
/// prepared statement, or a string query with parameters), in the order `child_policy` allows;
/// other requests follow `child_policy` alone. `shuffle_replicas` spreads load over the
/// replicas instead of always trying them in ring order.
///
/// Raises `ConfigurationError` if `child_policy` is not one of the other load-balancing
/// policies.
///
///     policy = TokenAwarePolicy(DCAwareRoundRobinPolicy("dc1"), shuffle_replicas=True)
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct TokenAwarePolicy {
    child_policy: Py<PyAny>,
    shuffle_replicas: bool,
    balancing: Balancing,
}

#[pymethods]
impl TokenAwarePolicy {
    #[new]
    #[pyo3(signature = (child_policy, shuffle_replicas = true))]
    fn new(child_policy: Bound<'_, PyAny>, shuffle_replicas: bool) -> DriverResult<Self> {
        if child_policy.cast::<TokenAwarePolicy>().is_ok() {
            return Err(invalid(
                "TokenAwarePolicy's child_policy is already token-aware; pass its child".into(),
            ));
        }
        let child = balancing(&child_policy, "child_policy")?;
        Ok(TokenAwarePolicy {
            balancing: Balancing {
                token_aware: true,
                shuffle_replicas,
                ..child
            },
            child_policy: child_policy.unbind(),
            shuffle_replicas,
        })
    }

    #[getter]
    fn child_policy(&self, py: Python<'_>) -> Py<PyAny> {
        self.child_policy.clone_ref(py)
    }

    #[getter]
    fn shuffle_replicas(&self) -> bool {
        self.shuffle_replicas
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let child = self
            .child_policy
            .bind(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".into());
        let shuffle = if self.shuffle_replicas {
            "True"
        } else {
            "False"
        };
        format!("TokenAwarePolicy({child}, shuffle_replicas={shuffle})")
    }
}

/// What a Python load-balancing policy object describes; `name` is the argument, for errors.
pub(crate) fn balancing(value: &Bound<'_, PyAny>, name: &str) -> DriverResult<Balancing> {
    let plain = |locality| Balancing {
        locality,
        token_aware: false,
        shuffle_replicas: false,
    };
    if value.cast::<RoundRobinPolicy>().is_ok() {
        return Ok(plain(Locality::Anywhere));
    }
    if let Ok(policy) = value.cast::<DCAwareRoundRobinPolicy>() {
        let policy = policy.get();
        return Ok(plain(Locality::Datacenter {
            local_dc: policy.local_dc.clone(),
            remote_hosts: policy.used_hosts_per_remote_dc,
        }));
    }
    if let Ok(policy) = value.cast::<RackAwareRoundRobinPolicy>() {
        let policy = policy.get();
        return Ok(plain(Locality::Rack {
            local_dc: policy.local_dc.clone(),
            local_rack: policy.local_rack.clone(),
            remote_hosts: policy.used_hosts_per_remote_dc,
        }));
    }
    if let Ok(policy) = value.cast::<TokenAwarePolicy>() {
        return Ok(policy.get().balancing.clone());
    }
    Err(invalid(format!(
        "{name} must be RoundRobinPolicy(), DCAwareRoundRobinPolicy(local_dc, \
         used_hosts_per_remote_dc), RackAwareRoundRobinPolicy(local_dc, local_rack) or \
         TokenAwarePolicy(child_policy), got {}",
        describe(value)
    )))
}
