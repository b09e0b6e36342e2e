//! `Columns`: the names, CQL types and name index shared by every row of a result, and by every
//! result of the same shape.

use std::collections::VecDeque;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use scylla::frame::response::result::{ColumnSpec, ColumnType};
use scylla::response::query_result::QueryRowsResult;

use crate::codec::cql_type_name;
use crate::interop::sync::lock;

/// Column names, CQL types and a name -> position index, shared by all rows of one result.
#[pyclass(module = "aiocql._native", frozen)]
pub(crate) struct Columns {
    names: Py<PyTuple>,
    index: Py<PyDict>,
    types: Vec<String>,
}

impl Columns {
    fn new(py: Python<'_>, names: Vec<String>, types: Vec<String>) -> PyResult<Py<Columns>> {
        let index = PyDict::new(py);
        for (i, name) in names.iter().enumerate() {
            index.set_item(PyString::intern(py, name), i)?;
        }
        let names = PyTuple::new(py, names.iter().map(|n| PyString::intern(py, n)))?;
        Py::new(
            py,
            Columns {
                names: names.unbind(),
                index: index.unbind(),
                types,
            },
        )
    }

    /// The column names, in order.
    pub(crate) fn names<'py>(&self, py: Python<'py>) -> &Bound<'py, PyTuple> {
        self.names.bind(py)
    }

    /// The CQL types of the columns, in order.
    pub(crate) fn types(&self) -> &[String] {
        &self.types
    }

    /// The position of column `name`, if the result has it.
    pub(crate) fn position(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
    ) -> PyResult<Option<usize>> {
        match self.index.bind(py).get_item(name)? {
            Some(i) => Ok(Some(i.extract()?)),
            None => Ok(None),
        }
    }
}

/// The `Columns` of recent result shapes, most recent first.
///
/// Results of the same statement share one `Columns` instead of building names, an index and
/// type names per request (a tenth of the asyncio thread's time for a one-row read). Lookup
/// compares names and types in place: no allocation on a hit.
struct CachedColumns {
    names: Vec<String>,
    types: Vec<ColumnType<'static>>,
    columns: Py<Columns>,
}

const COLUMNS_CACHE_SIZE: usize = 64;
static COLUMNS_CACHE: Mutex<VecDeque<CachedColumns>> = Mutex::new(VecDeque::new());

pub(crate) fn columns_for(py: Python<'_>, specs: &[ColumnSpec<'_>]) -> PyResult<Py<Columns>> {
    let mut cache = lock(&COLUMNS_CACHE);
    let hit = cache.iter().position(|entry| {
        entry.names.len() == specs.len()
            && entry
                .names
                .iter()
                .zip(&entry.types)
                .zip(specs)
                .all(|((name, typ), spec)| name == spec.name() && typ == spec.typ())
    });
    if let Some(position) = hit {
        if position != 0 {
            if let Some(entry) = cache.remove(position) {
                cache.push_front(entry);
            }
        }
        if let Some(entry) = cache.front() {
            return Ok(entry.columns.clone_ref(py));
        }
    }
    let names: Vec<String> = specs.iter().map(|s| s.name().to_string()).collect();
    let types: Vec<ColumnType<'static>> =
        specs.iter().map(|s| s.typ().clone().into_owned()).collect();
    let columns = Columns::new(py, names.clone(), types.iter().map(cql_type_name).collect())?;
    cache.push_front(CachedColumns {
        names,
        types,
        columns: columns.clone_ref(py),
    });
    cache.truncate(COLUMNS_CACHE_SIZE);
    Ok(columns)
}

/// The `Columns` of a page: shared with every result of the same shape.
pub(crate) fn page_columns(py: Python<'_>, page: &QueryRowsResult) -> PyResult<Py<Columns>> {
    columns_for(py, page.column_specs().as_slice())
}
