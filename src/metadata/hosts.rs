//! The nodes of the cluster as values (`Host`), and how two views of them differ (host events).
//!
//! A `Host` copies what it needs from the crate's `Node`: it never holds the `Node` itself,
//! whose connection pool would stay alive (and keep reconnecting) as long as Python kept the
//! `Host`.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::PyBool;
use scylla::cluster::{ClusterState, Node};
use uuid::Uuid;

use crate::interop::imports;

/// The release version of each node (by host id), as the nodes' `system.local` and
/// `system.peers` give it: the crate's view of the nodes does not hold it.
pub(crate) type ReleaseVersions = HashMap<Uuid, String>;

/// What is known of one node at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostInfo {
    pub host_id: Uuid,
    pub address: SocketAddr,
    pub datacenter: Option<String>,
    pub rack: Option<String>,
    /// Whether the driver had at least one open connection to the node.
    pub is_up: bool,
    pub release_version: Option<String>,
}

impl HostInfo {
    pub(crate) fn of(node: &Node, versions: &ReleaseVersions) -> Self {
        HostInfo {
            host_id: node.host_id,
            address: SocketAddr::new(node.address.ip(), node.address.port()),
            datacenter: node.datacenter.clone(),
            rack: node.rack.clone(),
            is_up: node.is_connected(),
            release_version: versions.get(&node.host_id).cloned(),
        }
    }
}

/// Every node `state` knows, in address order.
pub(crate) fn hosts(state: &ClusterState, versions: &ReleaseVersions) -> Vec<HostInfo> {
    let mut hosts: Vec<HostInfo> = state
        .get_nodes_info()
        .iter()
        .map(|n| HostInfo::of(n, versions))
        .collect();
    hosts.sort_by_key(|h| (h.address, h.host_id));
    hosts
}

/// A uuid.UUID for `id`.
pub(crate) fn py_uuid<'py>(py: Python<'py>, id: &Uuid) -> PyResult<Bound<'py, PyAny>> {
    imports::stdlib(py)?
        .uuid
        .bind(py)
        .call1((id.hyphenated().to_string(),))
}

/// A node of the cluster: ``cluster.metadata.all_hosts()``, the replicas of a key, the host of
/// a `HostEvent`.
///
/// A value: ``is_up`` is the driver's view when the `Host` was made (the metadata snapshot or the
/// event): up when the driver has at least one open connection to the node. Two `Host`s are
/// equal when they are the same node (``host_id``).
#[pyclass(module = "aiocql", name = "Host", frozen)]
pub(crate) struct Host {
    info: HostInfo,
}

impl Host {
    pub(crate) fn new(info: HostInfo) -> Self {
        Host { info }
    }
}

#[pymethods]
impl Host {
    /// The node's IP address, as text (``"10.0.0.1"``).
    #[getter]
    fn address(&self) -> String {
        self.info.address.ip().to_string()
    }

    /// The node's native-protocol port.
    #[getter]
    fn port(&self) -> u16 {
        self.info.address.port()
    }

    /// ``"address:port"`` (``"[v6]:port"`` for IPv6), as ``rs.coordinator`` names nodes.
    #[getter]
    fn endpoint(&self) -> String {
        self.info.address.to_string()
    }

    /// The node's datacenter (``None`` if the node did not say).
    #[getter]
    fn datacenter(&self) -> Option<&str> {
        self.info.datacenter.as_deref()
    }

    /// The node's rack (``None`` if the node did not say).
    #[getter]
    fn rack(&self) -> Option<&str> {
        self.info.rack.as_deref()
    }

    /// The node's ``host_id`` (a ``uuid.UUID``), which stays the same when its address changes.
    #[getter]
    fn host_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_uuid(py, &self.info.host_id)
    }

    /// Whether the driver had an open connection to the node when this `Host` was made.
    #[getter]
    fn is_up(&self) -> bool {
        self.info.is_up
    }

    /// The Cassandra (or ScyllaDB) version the node runs (``"5.0.9"``), as the nodes reported it
    /// at ``connect()`` or the last ``refresh_nodes()``/``refresh_schema_metadata()``; ``None``
    /// for a node that joined since, or when it could not be read at ``connect()``.
    #[getter]
    fn release_version(&self) -> Option<&str> {
        self.info.release_version.as_deref()
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> Py<PyAny> {
        let py = other.py();
        let Ok(other) = other.cast::<Host>() else {
            return py.NotImplemented();
        };
        let same = self.info.host_id == other.get().info.host_id;
        match op {
            CompareOp::Eq => PyBool::new(py, same).to_owned().into_any().unbind(),
            CompareOp::Ne => PyBool::new(py, !same).to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        }
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.info.host_id.hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self) -> String {
        let place = match (&self.info.datacenter, &self.info.rack) {
            (Some(dc), Some(rack)) => format!(" {dc}/{rack}"),
            (Some(dc), None) => format!(" {dc}"),
            _ => String::new(),
        };
        let state = if self.info.is_up { "up" } else { "down" };
        format!("<Host {}{place} {state}>", self.info.address)
    }
}

/// How a node changed between two views of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostEventKind {
    /// A node the previous view did not have.
    Added,
    /// The driver has an open connection to the node again (or for the first time).
    Up,
    /// The driver has no open connection to the node any more.
    Down,
    /// A node the new view does not have.
    Removed,
}

impl HostEventKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            HostEventKind::Added => "added",
            HostEventKind::Up => "up",
            HostEventKind::Down => "down",
            HostEventKind::Removed => "removed",
        }
    }
}

/// One change of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostChange {
    pub kind: HostEventKind,
    pub host: HostInfo,
}

/// The changes from `before` to `after`: for each node of `after`, `Added` (then `Up` if it is
/// up) when `before` lacks it, else `Up` or `Down` when its state changed; then `Removed` for
/// each node of `before` that `after` lacks. A node that changed address is the same node.
pub(crate) fn changes(before: &[HostInfo], after: &[HostInfo]) -> Vec<HostChange> {
    let known: HashMap<Uuid, &HostInfo> = before.iter().map(|h| (h.host_id, h)).collect();
    let kept: HashMap<Uuid, &HostInfo> = after.iter().map(|h| (h.host_id, h)).collect();
    let mut found = Vec::new();
    let mut push = |kind, host: &HostInfo| {
        found.push(HostChange {
            kind,
            host: host.clone(),
        })
    };
    for host in after {
        match known.get(&host.host_id) {
            None => {
                push(HostEventKind::Added, host);
                if host.is_up {
                    push(HostEventKind::Up, host);
                }
            }
            Some(old) if old.is_up != host.is_up => {
                let kind = if host.is_up {
                    HostEventKind::Up
                } else {
                    HostEventKind::Down
                };
                push(kind, host);
            }
            Some(_) => {}
        }
    }
    for host in before {
        if !kept.contains_key(&host.host_id) {
            push(HostEventKind::Removed, host);
        }
    }
    found
}

/// A change of a node: ``kind`` is ``"added"``, ``"up"``, ``"down"`` or ``"removed"``; ``host``
/// is the node as the driver saw it then.
#[pyclass(module = "aiocql", name = "HostEvent", frozen)]
pub(crate) struct HostEvent {
    kind: HostEventKind,
    host: Py<Host>,
}

impl HostEvent {
    pub(crate) fn new(py: Python<'_>, change: HostChange) -> PyResult<Self> {
        Ok(HostEvent {
            kind: change.kind,
            host: Py::new(py, Host::new(change.host))?,
        })
    }
}

#[pymethods]
impl HostEvent {
    /// ``"added"``, ``"up"``, ``"down"`` or ``"removed"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    /// The node.
    #[getter]
    fn host(&self, py: Python<'_>) -> Py<Host> {
        self.host.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<HostEvent {} {}>",
            self.kind.name(),
            self.host.get().info.address
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(n: u8, is_up: bool) -> HostInfo {
        HostInfo {
            host_id: Uuid::from_u128(u128::from(n)),
            address: SocketAddr::from(([127, 0, 3, n], 9042)),
            datacenter: Some("dc1".into()),
            rack: Some("r1".into()),
            is_up,
            release_version: Some("5.0.9".into()),
        }
    }

    fn kinds(found: &[HostChange]) -> Vec<(HostEventKind, u8)> {
        found
            .iter()
            .map(|c| (c.kind, c.host.host_id.as_u128() as u8))
            .collect()
    }

    #[test]
    fn nothing_changed_gives_no_event() {
        let view = [host(1, true), host(2, false)];
        assert!(changes(&view, &view).is_empty());
    }

    #[test]
    fn up_and_down_follow_the_connection_state() {
        let before = [host(1, true), host(2, false)];
        let after = [host(1, false), host(2, true)];
        use HostEventKind::*;
        assert_eq!(kinds(&changes(&before, &after)), [(Down, 1), (Up, 2)]);
    }

    #[test]
    fn a_new_node_is_added_then_up_and_a_missing_one_removed() {
        let before = [host(1, true), host(2, true)];
        let after = [host(1, true), host(3, true), host(4, false)];
        use HostEventKind::*;
        assert_eq!(
            kinds(&changes(&before, &after)),
            [(Added, 3), (Up, 3), (Added, 4), (Removed, 2)]
        );
    }

    #[test]
    fn a_node_that_moved_is_the_same_node() {
        let before = [host(1, true)];
        let mut moved = host(1, true);
        moved.address = SocketAddr::from(([127, 0, 3, 9], 9042));
        assert!(changes(&before, &[moved]).is_empty());
    }
}
