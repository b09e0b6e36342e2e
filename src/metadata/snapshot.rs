//! `Metadata`: a snapshot of the driver's view of the cluster (hosts, schema, token ring), and
//! the replicas of a key, asked of the driver's current view through [`ClusterView`] (which the
//! execution layer implements).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyTuple};
use scylla::cluster::ClusterState;
use scylla::errors::ClusterStateTokenError;
use scylla::frame::response::result::{ColumnSpec, TableSpec};
use scylla::routing::partitioner::{Murmur3Partitioner, Partitioner};
use scylla::routing::Token;
use uuid::Uuid;

use super::hosts::{hosts, Host, HostInfo, ReleaseVersions};
use super::schema::{KeyspaceMetadata, Schema};
use crate::errors::{type_error, value_error, DriverResult};
use crate::interop::imports;
use crate::interop::names::python_type_name;
use crate::statement::bind::serialize_values;

/// The driver's current view of the cluster, for what a snapshot cannot answer by itself.
pub(crate) trait ClusterView: Send + Sync {
    /// The driver's current state; `ConnectionClosed` once the session is closed.
    fn current(&self) -> DriverResult<Arc<ClusterState>>;
    /// The nodes' release versions, as last read.
    fn release_versions(&self) -> Arc<ReleaseVersions>;
}

/// The cluster as the driver saw it when ``cluster.metadata`` was read: its hosts, keyspaces
/// and token ring. Reading it does no I/O.
///
/// ``get_replicas`` (here and on ``token_map``) asks the driver's current view instead, the one
/// the token-aware load balancing routes by.
#[pyclass(module = "aiocql", name = "Metadata", frozen)]
pub(crate) struct Metadata {
    cluster_name: Option<String>,
    hosts: Vec<HostInfo>,
    /// The token ring: each token and the host that owns it, in token order.
    ring: Vec<(i64, HostInfo)>,
    schema: Arc<Schema>,
    view: Arc<dyn ClusterView>,
}

impl Metadata {
    pub(crate) fn new(
        state: &ClusterState,
        schema: Arc<Schema>,
        view: Arc<dyn ClusterView>,
    ) -> Self {
        let hosts = hosts(state, &view.release_versions());
        let by_id: HashMap<Uuid, &HostInfo> = hosts.iter().map(|h| (h.host_id, h)).collect();
        let ring = state
            .replica_locator()
            .ring()
            .iter()
            .filter_map(|(token, node)| {
                let host = by_id.get(&node.host_id)?;
                Some((token.value(), (*host).clone()))
            })
            .collect();
        let name = state.cluster_name();
        Metadata {
            cluster_name: (!name.is_empty()).then(|| name.to_owned()),
            hosts,
            ring,
            schema,
            view,
        }
    }
}

/// The bytes of `key` if it is a bytes-like routing key.
fn routing_key(key: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(bytes) = key.cast::<PyBytes>() {
        return Ok(Some(bytes.as_bytes().to_vec()));
    }
    if let Ok(array) = key.cast::<PyByteArray>() {
        return Ok(Some(array.to_vec()));
    }
    if key.is_instance_of::<PyMemoryView>() {
        return Ok(Some(key.call_method0("tobytes")?.extract()?));
    }
    Ok(None)
}

/// The keyspaces of `state`, for messages.
fn keyspace_names(state: &ClusterState) -> String {
    let mut names: Vec<&str> = state.keyspaces_iter().map(|(n, _)| n).collect();
    names.sort_unstable();
    names.join(", ")
}

/// The replicas of `token` in `keyspace` (and `table`, for keyspaces with tablets).
fn replicas(
    view: &dyn ClusterView,
    state: &ClusterState,
    keyspace: &str,
    table: Option<&str>,
    token: Token,
) -> Vec<Host> {
    let versions = view.release_versions();
    state
        .get_token_endpoints(keyspace, table.unwrap_or(""), token)
        .iter()
        .map(|(node, _shard)| Host::new(HostInfo::of(node, &versions)))
        .collect()
}

/// `keyspace`, checked to be one of `state`'s: an unknown keyspace would otherwise be read as
/// a local one, whose only replica is the token's owner.
fn known_keyspace(state: &ClusterState, keyspace: &str) -> PyResult<()> {
    if state.get_keyspace(keyspace).is_some() {
        return Ok(());
    }
    Err(value_error(format!(
        "keyspace {keyspace:?} is not in the cluster's metadata (names are case-sensitive, as \
         the server reports them); its keyspaces are {}",
        keyspace_names(state)
    )))
}

/// The token of the partition key `values` of `keyspace.table`, by the table's partitioner.
fn partition_token(
    state: &ClusterState,
    keyspace: &str,
    table: &str,
    values: &Bound<'_, PyAny>,
) -> PyResult<Token> {
    let meta = state
        .get_keyspace(keyspace)
        .and_then(|k| {
            k.tables
                .get(table)
                .or_else(|| k.views.get(table).map(|v| &v.view_metadata))
        })
        .ok_or_else(|| {
            value_error(format!(
                "table {table:?} is not in keyspace {keyspace:?} of the cluster's metadata"
            ))
        })?;
    let table_spec = TableSpec::borrowed(keyspace, table);
    let specs: Vec<ColumnSpec<'_>> = meta
        .partition_key
        .iter()
        .filter_map(|name| {
            let column = meta.columns.get(name)?;
            Some(ColumnSpec::borrowed(
                name,
                column.typ.clone(),
                table_spec.clone(),
            ))
        })
        .collect();
    let names = meta.partition_key.join(", ");
    let is_sequence = values.is_instance_of::<PyList>() || values.is_instance_of::<PyTuple>();
    if !is_sequence && !values.is_instance_of::<PyDict>() {
        return Err(type_error(format!(
            "key must be the partition key's values ({names}) as a list or tuple, or a dict by \
             column name, when table= is given; got {} (for one column write [value])",
            python_type_name(values)
        )));
    }
    if is_sequence && values.len()? != specs.len() {
        return Err(value_error(format!(
            "key has {} value(s) but the partition key of {keyspace}.{table} has {} column(s) \
             ({names})",
            values.len()?,
            specs.len()
        )));
    }
    let cells = serialize_values(&specs, Some(values))?;
    if cells.has_missing() {
        return Err(value_error(format!(
            "key: a partition key value cannot be None or UNSET_VALUE ({keyspace}.{table}: \
             {names})"
        )));
    }
    state
        .compute_token(keyspace, table, &cells)
        .map_err(|e| match e {
            ClusterStateTokenError::UnknownTable { .. } => value_error(format!(
                "table {table:?} is not in keyspace {keyspace:?} of the cluster's metadata"
            )),
            other => value_error(format!("key: cannot compute its token: {other}")),
        })
}

#[pymethods]
impl Metadata {
    /// The cluster's name (``cluster_name`` of its ``system.local``), if the node gave one.
    #[getter]
    fn cluster_name(&self) -> Option<&str> {
        self.cluster_name.as_deref()
    }

    /// Every node of the cluster, in address order.
    fn all_hosts(&self) -> Vec<Host> {
        self.hosts.iter().cloned().map(Host::new).collect()
    }

    /// The node at ``address`` (an IP address as text; with ``port``, only at that port), or
    /// ``None``.
    ///
    /// Raises ``ValueError`` if ``address`` is not an IP address.
    #[pyo3(signature = (address, port=None))]
    fn get_host(&self, address: &str, port: Option<u16>) -> PyResult<Option<Host>> {
        let ip: IpAddr = address.parse().map_err(|_| {
            value_error(format!(
                "address must be an IP address such as \"10.0.0.1\", got {address:?}"
            ))
        })?;
        Ok(self
            .hosts
            .iter()
            .find(|h| h.address.ip() == ip && port.is_none_or(|p| h.address.port() == p))
            .cloned()
            .map(Host::new))
    }

    /// The node whose ``host_id`` is ``host_id`` (a ``uuid.UUID``), or ``None``.
    ///
    /// Raises ``TypeError`` if ``host_id`` is not a ``uuid.UUID``.
    fn get_host_by_host_id(&self, host_id: &Bound<'_, PyAny>) -> PyResult<Option<Host>> {
        let py = host_id.py();
        if !host_id.is_instance(imports::stdlib(py)?.uuid.bind(py))? {
            return Err(type_error(format!(
                "host_id must be a uuid.UUID, got {}",
                python_type_name(host_id)
            )));
        }
        let id = Uuid::from_u128(host_id.getattr("int")?.extract::<u128>()?);
        Ok(self
            .hosts
            .iter()
            .find(|h| h.host_id == id)
            .cloned()
            .map(Host::new))
    }

    /// ``{name: KeyspaceMetadata}``: every keyspace, in name order.
    #[getter]
    fn keyspaces<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, keyspace) in &self.schema.keyspaces {
            dict.set_item(
                name,
                Bound::new(py, KeyspaceMetadata::new(keyspace.clone()))?,
            )?;
        }
        Ok(dict)
    }

    /// The token ring: each token and the node that owns it.
    #[getter]
    fn token_map(&self) -> TokenMap {
        TokenMap {
            ring: self.ring.clone(),
            view: self.view.clone(),
        }
    }

    /// The nodes that hold the partition ``key`` of ``keyspace``, as the driver's current view
    /// places it.
    ///
    /// ``key`` is the routing key (``bytes``: a single-column partition key's value serialized,
    /// or the composite form of several, as cassandra-driver takes it), hashed with the
    /// Murmur3 partitioner; or, with ``table=``, the partition key's values as a list or tuple
    /// in key order (or a dict by column name), converted by the columns' CQL types and hashed
    /// with the table's partitioner.
    ///
    /// Raises ``ValueError`` for a keyspace or table the metadata does not have, or a wrong
    /// number of values; ``TypeError`` for a ``key`` of the wrong type;
    /// ``ParameterTypeError``/``ParameterValueError`` for a value that does not fit its column;
    /// ``ConnectionClosed`` once the session is closed.
    ///
    ///     hosts = cluster.metadata.get_replicas("shop", [42], table="orders")
    #[pyo3(signature = (keyspace, key, *, table=None))]
    fn get_replicas(
        &self,
        keyspace: &str,
        key: &Bound<'_, PyAny>,
        table: Option<&str>,
    ) -> PyResult<Vec<Host>> {
        let state = self.view.current()?;
        known_keyspace(&state, keyspace)?;
        let token = match (routing_key(key)?, table) {
            (Some(bytes), _) => Murmur3Partitioner.hash_one(&bytes),
            (None, Some(table)) => partition_token(&state, keyspace, table, key)?,
            (None, None) => {
                return Err(type_error(format!(
                    "key must be the routing key as bytes, got {}; to give the partition key's \
                     values, pass table= too",
                    python_type_name(key)
                )))
            }
        };
        Ok(replicas(&*self.view, &state, keyspace, table, token))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Metadata cluster_name={:?} hosts={} keyspaces={}>",
            self.cluster_name.as_deref().unwrap_or(""),
            self.hosts.len(),
            self.schema.keyspaces.len()
        )
    }
}

/// The token ring: ``cluster.metadata.token_map``. Tokens are the Murmur3 partitioner's, as
/// Python ints.
#[pyclass(module = "aiocql", name = "TokenMap", frozen)]
pub(crate) struct TokenMap {
    ring: Vec<(i64, HostInfo)>,
    view: Arc<dyn ClusterView>,
}

#[pymethods]
impl TokenMap {
    /// Every token of the ring, in order.
    #[getter]
    fn ring(&self) -> Vec<i64> {
        self.ring.iter().map(|(token, _)| *token).collect()
    }

    /// ``{token: Host}``: the node that owns each token (the primary replica of the range that
    /// ends at the token).
    #[getter]
    fn token_to_host_owner<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (token, host) in &self.ring {
            dict.set_item(token, Bound::new(py, Host::new(host.clone()))?)?;
        }
        Ok(dict)
    }

    /// The nodes that hold ``token`` (an int) in ``keyspace``, as the driver's current view
    /// places it (``table=`` matters only for ScyllaDB keyspaces with tablets).
    ///
    /// Raises ``ValueError`` for a keyspace the metadata does not have, ``TypeError`` or
    /// ``OverflowError`` for a token that is not a 64-bit int.
    ///
    ///     owners = cluster.metadata.token_map.get_replicas("shop", -4611686018427387904)
    #[pyo3(signature = (keyspace, token, *, table=None))]
    fn get_replicas(&self, keyspace: &str, token: i64, table: Option<&str>) -> PyResult<Vec<Host>> {
        let state = self.view.current()?;
        known_keyspace(&state, keyspace)?;
        Ok(replicas(
            &*self.view,
            &state,
            keyspace,
            table,
            Token::new(token),
        ))
    }

    fn __len__(&self) -> usize {
        self.ring.len()
    }

    fn __repr__(&self) -> String {
        format!("<TokenMap {} tokens>", self.ring.len())
    }
}
