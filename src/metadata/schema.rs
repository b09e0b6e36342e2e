//! The schema as Python values: keyspaces, tables, views, columns and user types.
//!
//! [`Schema`] is aiocql's copy of the crate's schema metadata, made once per `ClusterState` (the
//! crate replaces its state after each change; [`SchemaCache`] remembers which state the copy is
//! of) and shared by every snapshot of that state. Python objects are made only for what is read.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use scylla::cluster::metadata::{ColumnKind, ColumnType, Keyspace, Strategy, Table};
use scylla::cluster::ClusterState;

use crate::codec::cql_type_name;
use crate::interop::sync::lock;

/// Every keyspace of one `ClusterState`, by name.
pub(crate) struct Schema {
    pub keyspaces: BTreeMap<String, Arc<KeyspaceData>>,
}

pub(crate) struct KeyspaceData {
    name: String,
    durable_writes: bool,
    strategy: Strategy,
    tables: BTreeMap<String, Arc<TableData>>,
    views: BTreeMap<String, Arc<TableData>>,
    user_types: BTreeMap<String, Arc<UserTypeData>>,
}

pub(crate) struct TableData {
    keyspace_name: String,
    name: String,
    /// The partition key's columns, then the clustering key's, then the others by name.
    columns: Vec<ColumnData>,
    partition_key_len: usize,
    clustering_key_len: usize,
    partitioner: Option<String>,
    /// The table a materialized view selects from; None for a table.
    base_table_name: Option<String>,
}

#[derive(Clone)]
struct ColumnData {
    name: String,
    cql_type: String,
    kind: &'static str,
}

pub(crate) struct UserTypeData {
    keyspace: String,
    name: String,
    fields: Vec<(String, String)>,
}

impl Schema {
    pub(crate) fn of(state: &ClusterState) -> Self {
        let keyspaces = state
            .keyspaces_iter()
            .map(|(name, keyspace)| (name.to_owned(), Arc::new(KeyspaceData::of(name, keyspace))))
            .collect();
        Schema { keyspaces }
    }
}

impl KeyspaceData {
    fn of(name: &str, keyspace: &Keyspace) -> Self {
        let table = |table_name: &str, table: &Table, base: Option<&str>| {
            Arc::new(TableData::of(name, table_name, table, base))
        };
        KeyspaceData {
            name: name.to_owned(),
            durable_writes: keyspace.durable_writes,
            strategy: keyspace.strategy.clone(),
            tables: keyspace
                .tables
                .iter()
                .map(|(n, t)| (n.clone(), table(n, t, None)))
                .collect(),
            views: keyspace
                .views
                .iter()
                .map(|(n, v)| {
                    let view = table(n, &v.view_metadata, Some(&v.base_table_name));
                    (n.clone(), view)
                })
                .collect(),
            user_types: keyspace
                .user_defined_types
                .iter()
                .map(|(n, udt)| {
                    let fields = udt
                        .field_types
                        .iter()
                        .map(|(field, typ)| (field.to_string(), cql_type_name(typ)))
                        .collect();
                    let data = UserTypeData {
                        keyspace: udt.keyspace.to_string(),
                        name: udt.name.to_string(),
                        fields,
                    };
                    (n.clone(), Arc::new(data))
                })
                .collect(),
        }
    }
}

fn kind_name(kind: &ColumnKind) -> &'static str {
    match kind {
        ColumnKind::PartitionKey => "partition_key",
        ColumnKind::Clustering => "clustering",
        ColumnKind::Static => "static",
        _ => "regular",
    }
}

impl TableData {
    fn of(keyspace: &str, name: &str, table: &Table, base: Option<&str>) -> Self {
        let column = |name: &String, typ: &ColumnType<'_>, kind: &ColumnKind| ColumnData {
            name: name.clone(),
            cql_type: cql_type_name(typ),
            kind: kind_name(kind),
        };
        let key_columns = |names: &[String]| -> Vec<ColumnData> {
            // The crate guarantees every key column is among the columns.
            names
                .iter()
                .filter_map(|n| table.columns.get(n).map(|c| column(n, &c.typ, &c.kind)))
                .collect()
        };
        let partition_key = key_columns(&table.partition_key);
        let clustering_key = key_columns(&table.clustering_key);
        let mut others: Vec<ColumnData> = table
            .columns
            .iter()
            .filter(|(n, _)| !table.partition_key.contains(n) && !table.clustering_key.contains(n))
            .map(|(n, c)| column(n, &c.typ, &c.kind))
            .collect();
        others.sort_by(|a, b| a.name.cmp(&b.name));
        let (partition_key_len, clustering_key_len) = (partition_key.len(), clustering_key.len());
        let mut columns = partition_key;
        columns.extend(clustering_key);
        columns.extend(others);
        TableData {
            keyspace_name: keyspace.to_owned(),
            name: name.to_owned(),
            columns,
            partition_key_len,
            clustering_key_len,
            partitioner: table.partitioner.clone(),
            base_table_name: base.map(str::to_owned),
        }
    }
}

/// The copy of the schema of the state last asked about.
#[derive(Default)]
pub(crate) struct SchemaCache {
    /// A `Weak` does not keep the state (and its connection pools) alive, and keeps its address
    /// from being reused while it is held, so the pointer comparison is sound.
    last: Mutex<Option<(Weak<ClusterState>, Arc<Schema>)>>,
}

impl SchemaCache {
    /// The schema of `state`, copied only if it is not the state of the last call.
    pub(crate) fn schema(&self, state: &Arc<ClusterState>) -> Arc<Schema> {
        let mut last = lock(&self.last);
        if let Some((of, schema)) = last.as_ref() {
            if std::ptr::eq(of.as_ptr(), Arc::as_ptr(state)) {
                return schema.clone();
            }
        }
        let schema = Arc::new(Schema::of(state));
        *last = Some((Arc::downgrade(state), schema.clone()));
        schema
    }
}

/// A dict of Python objects made by `make` from the values of `items`, in key order.
fn dict_of<'py, T, P>(
    py: Python<'py>,
    items: &BTreeMap<String, Arc<T>>,
    make: impl Fn(&Arc<T>) -> P,
) -> PyResult<Bound<'py, PyDict>>
where
    P: pyo3::PyClass + Into<pyo3::PyClassInitializer<P>>,
{
    let dict = PyDict::new(py);
    for (name, item) in items {
        dict.set_item(name, Bound::new(py, make(item))?)?;
    }
    Ok(dict)
}

/// A keyspace: ``cluster.metadata.keyspaces[name]``.
#[pyclass(module = "aiocql", name = "KeyspaceMetadata", frozen)]
pub(crate) struct KeyspaceMetadata {
    keyspace: Arc<KeyspaceData>,
}

impl KeyspaceMetadata {
    pub(crate) fn new(keyspace: Arc<KeyspaceData>) -> Self {
        KeyspaceMetadata { keyspace }
    }
}

#[pymethods]
impl KeyspaceMetadata {
    /// The keyspace's name, as the server reports it (lower case unless created quoted).
    #[getter]
    fn name(&self) -> &str {
        &self.keyspace.name
    }

    /// Whether writes to the keyspace go through the commit log.
    #[getter]
    fn durable_writes(&self) -> bool {
        self.keyspace.durable_writes
    }

    /// ``"SimpleStrategy"``, ``"NetworkTopologyStrategy"``, ``"LocalStrategy"``, or the class
    /// name of another strategy as the server gives it.
    #[getter]
    fn replication_strategy(&self) -> &str {
        match &self.keyspace.strategy {
            Strategy::SimpleStrategy { .. } => "SimpleStrategy",
            Strategy::NetworkTopologyStrategy { .. } => "NetworkTopologyStrategy",
            Strategy::LocalStrategy => "LocalStrategy",
            Strategy::Other { name, .. } => name,
            _ => "unknown",
        }
    }

    /// The strategy's options: ``{"replication_factor": 3}`` for SimpleStrategy,
    /// ``{datacenter: replication factor}`` for NetworkTopologyStrategy, ``{}`` for
    /// LocalStrategy, and another strategy's options as text.
    #[getter]
    fn replication_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let options = PyDict::new(py);
        match &self.keyspace.strategy {
            Strategy::SimpleStrategy { replication_factor } => {
                options.set_item("replication_factor", replication_factor)?;
            }
            Strategy::NetworkTopologyStrategy {
                datacenter_repfactors,
            } => {
                let sorted: BTreeMap<&String, &usize> = datacenter_repfactors.iter().collect();
                for (dc, factor) in sorted {
                    options.set_item(dc, factor)?;
                }
            }
            Strategy::Other { data, .. } => {
                let sorted: BTreeMap<&String, &String> = data.iter().collect();
                for (key, value) in sorted {
                    options.set_item(key, value)?;
                }
            }
            _ => {}
        }
        Ok(options)
    }

    /// ``{name: TableMetadata}``, in name order.
    #[getter]
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict_of(py, &self.keyspace.tables, |table| TableMetadata {
            keyspace: self.keyspace.clone(),
            table: table.clone(),
        })
    }

    /// ``{name: MaterializedViewMetadata}``, in name order.
    #[getter]
    fn views<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        views_dict(py, &self.keyspace, None)
    }

    /// ``{name: UserTypeMetadata}``, in name order.
    #[getter]
    fn user_types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict_of(py, &self.keyspace.user_types, |udt| UserTypeMetadata {
            udt: udt.clone(),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<KeyspaceMetadata {} {} tables>",
            self.keyspace.name,
            self.keyspace.tables.len()
        )
    }
}

/// The views of `keyspace` (only those of `base` if given), each with its base table.
fn views_dict<'py>(
    py: Python<'py>,
    keyspace: &Arc<KeyspaceData>,
    base: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, view) in &keyspace.views {
        if base.is_some() && view.base_table_name.as_deref() != base {
            continue;
        }
        let init = pyo3::PyClassInitializer::from(TableMetadata {
            keyspace: keyspace.clone(),
            table: view.clone(),
        })
        .add_subclass(MaterializedViewMetadata {});
        dict.set_item(name, Bound::new(py, init)?)?;
    }
    Ok(dict)
}

/// A table: ``keyspace.tables[name]``. A materialized view is a `MaterializedViewMetadata`, a
/// `TableMetadata` with the name of its base table.
#[pyclass(module = "aiocql", name = "TableMetadata", frozen, subclass)]
pub(crate) struct TableMetadata {
    keyspace: Arc<KeyspaceData>,
    table: Arc<TableData>,
}

impl TableMetadata {
    fn column_list(&self, range: std::ops::Range<usize>) -> Vec<ColumnMetadata> {
        self.table.columns[range]
            .iter()
            .map(|c| ColumnMetadata { column: c.clone() })
            .collect()
    }
}

#[pymethods]
impl TableMetadata {
    /// The name of the table's keyspace.
    #[getter]
    fn keyspace_name(&self) -> &str {
        &self.table.keyspace_name
    }

    /// The table's name.
    #[getter]
    fn name(&self) -> &str {
        &self.table.name
    }

    /// ``{name: ColumnMetadata}``: the partition key's columns, the clustering key's, then
    /// the others in name order.
    #[getter]
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for column in &self.table.columns {
            let value = ColumnMetadata {
                column: column.clone(),
            };
            dict.set_item(&column.name, Bound::new(py, value)?)?;
        }
        Ok(dict)
    }

    /// The partition key's columns, in order.
    #[getter]
    fn partition_key(&self) -> Vec<ColumnMetadata> {
        self.column_list(0..self.table.partition_key_len)
    }

    /// The clustering key's columns, in order.
    #[getter]
    fn clustering_key(&self) -> Vec<ColumnMetadata> {
        let start = self.table.partition_key_len;
        self.column_list(start..start + self.table.clustering_key_len)
    }

    /// The partition key's columns, then the clustering key's.
    #[getter]
    fn primary_key(&self) -> Vec<ColumnMetadata> {
        self.column_list(0..self.table.partition_key_len + self.table.clustering_key_len)
    }

    /// The table's partitioner class, if it has its own (``None``: the cluster's).
    #[getter]
    fn partitioner(&self) -> Option<&str> {
        self.table.partitioner.as_deref()
    }

    /// ``{name: MaterializedViewMetadata}``: the views that select from this table.
    #[getter]
    fn views<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if self.table.base_table_name.is_some() {
            return Ok(PyDict::new(py));
        }
        views_dict(py, &self.keyspace, Some(&self.table.name))
    }

    fn __repr__(&self) -> String {
        let what = if self.table.base_table_name.is_some() {
            "MaterializedViewMetadata"
        } else {
            "TableMetadata"
        };
        format!("<{what} {}.{}>", self.table.keyspace_name, self.table.name)
    }
}

/// A materialized view: ``keyspace.views[name]`` (or ``table.views[name]``).
#[pyclass(module = "aiocql", name = "MaterializedViewMetadata", frozen, extends = TableMetadata)]
pub(crate) struct MaterializedViewMetadata {}

#[pymethods]
impl MaterializedViewMetadata {
    /// The name of the table the view selects from.
    #[getter]
    fn base_table_name(slf: &Bound<'_, Self>) -> Option<String> {
        slf.as_super().get().table.base_table_name.clone()
    }
}

/// A column of a table or view: ``table.columns[name]``.
#[pyclass(module = "aiocql", name = "ColumnMetadata", frozen)]
pub(crate) struct ColumnMetadata {
    column: ColumnData,
}

#[pymethods]
impl ColumnMetadata {
    /// The column's name.
    #[getter]
    fn name(&self) -> &str {
        &self.column.name
    }

    /// The column's CQL type, as text (``"int"``, ``"map<text, frozen<list<int>>>"``; a user
    /// type as ``keyspace.name``), as ``rs.column_types`` writes it.
    #[getter]
    fn cql_type(&self) -> &str {
        &self.column.cql_type
    }

    /// ``"partition_key"``, ``"clustering"``, ``"static"`` or ``"regular"``.
    #[getter]
    fn kind(&self) -> &str {
        self.column.kind
    }

    /// Whether the column is static (one value per partition).
    #[getter]
    fn is_static(&self) -> bool {
        self.column.kind == "static"
    }

    fn __repr__(&self) -> String {
        format!(
            "<ColumnMetadata {} {} {}>",
            self.column.name, self.column.cql_type, self.column.kind
        )
    }
}

/// A user-defined type: ``keyspace.user_types[name]``.
#[pyclass(module = "aiocql", name = "UserTypeMetadata", frozen)]
pub(crate) struct UserTypeMetadata {
    udt: Arc<UserTypeData>,
}

#[pymethods]
impl UserTypeMetadata {
    /// The name of the type's keyspace.
    #[getter]
    fn keyspace(&self) -> &str {
        &self.udt.keyspace
    }

    /// The type's name.
    #[getter]
    fn name(&self) -> &str {
        &self.udt.name
    }

    /// The fields' names, in order.
    #[getter]
    fn field_names(&self) -> Vec<String> {
        self.udt.fields.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The fields' CQL types, as text, in order.
    #[getter]
    fn field_types(&self) -> Vec<String> {
        self.udt.fields.iter().map(|(_, t)| t.clone()).collect()
    }

    fn __repr__(&self) -> String {
        let fields: Vec<String> = self
            .udt
            .fields
            .iter()
            .map(|(n, t)| format!("{n} {t}"))
            .collect();
        format!(
            "<UserTypeMetadata {}.{} ({})>",
            self.udt.keyspace,
            self.udt.name,
            fields.join(", ")
        )
    }
}
