//! Results: `AsyncResultSet` and its rows.
//!
//! A [`Row`] is a tuple of values plus a shared, per-result column index, so a row costs one
//! small object and no per-row class (cassandra-driver builds a namedtuple class per query).
//! It supports `row.col`, `row[0]`, `row["col"]`, `row._asdict()` and compares equal to tuples.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyAttributeError, PyIndexError, PyKeyError, PyStopAsyncIteration};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyBytes, PyDict, PyList, PySlice, PyString, PyTuple};
use scylla::deserialize::row::ColumnIterator;
use scylla::frame::response::result::{ColumnSpec, ColumnType};
use scylla::response::query_result::{QueryResult, QueryRowsResult};

use crate::errors::{runtime_error, DriverError};
use crate::paging::{paging_token, PageSource};
use crate::runtime::{lock, PendingRequest, Ready};
use crate::types::{cql_type_name, deserialize};

/// Column names, CQL types and a name -> position index, shared by all rows of one result.
#[pyclass(module = "aiocql._native", frozen)]
pub struct Columns {
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

    fn position(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
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

fn columns_for(py: Python<'_>, specs: &[ColumnSpec<'_>]) -> PyResult<Py<Columns>> {
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

/// One row of a result: a tuple with named columns.
#[pyclass(module = "aiocql", frozen)]
pub struct Row {
    values: Py<PyTuple>,
    columns: Py<Columns>,
}

#[pymethods]
impl Row {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.values.bind(py).len()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = self.values.bind(py);
        if key.is_instance_of::<PyString>() {
            return match self.columns.get().position(py, key)? {
                Some(i) => values.get_item(i),
                None => Err(PyKeyError::new_err(key.clone().unbind())),
            };
        }
        if key.is_instance_of::<PySlice>() {
            return values.as_any().get_item(key);
        }
        let index: isize = key.extract()?;
        let len = values.len() as isize;
        let resolved = if index < 0 { index + len } else { index };
        if !(0..len).contains(&resolved) {
            return Err(PyIndexError::new_err("row index out of range"));
        }
        values.get_item(resolved as usize)
    }

    fn __getattr__<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.columns.get().position(py, name.as_any())? {
            Some(i) => self.values.bind(py).get_item(i),
            None => Err(PyAttributeError::new_err(format!(
                "row has no column {:?}; columns are {}",
                name.to_cow()?,
                self.columns.get().names.bind(py).repr()?
            ))),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.values.bind(py).as_any().try_iter()?.into_any())
    }

    fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.values.bind(py).contains(value)
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let mine = self.values.bind(py);
        let theirs = match other.cast::<Row>() {
            Ok(row) => row.get().values.bind(py).clone().into_any(),
            Err(_) => other.clone(),
        };
        if !theirs.is_instance_of::<PyTuple>() {
            return Ok(py.NotImplemented());
        }
        Ok(mine.as_any().rich_compare(theirs, op)?.unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.values.bind(py).hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names = self.columns.get().names.bind(py);
        let values = self.values.bind(py);
        let mut parts = Vec::with_capacity(values.len());
        for (name, value) in names.iter().zip(values.iter()) {
            parts.push(format!("{}={}", name.str()?, value.repr()?));
        }
        Ok(format!("Row({})", parts.join(", ")))
    }

    /// The column names, in order (as on a namedtuple).
    #[getter]
    fn _fields<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.columns.get().names.bind(py).clone()
    }

    /// A new dict of column name -> value.
    fn _asdict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (name, value) in self
            .columns
            .get()
            .names
            .bind(py)
            .iter()
            .zip(self.values.bind(py).iter())
        {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    /// The column names (mapping protocol, as asyncpg's Record).
    fn keys<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.columns.get().names.bind(py).clone()
    }

    /// The values, in column order.
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.values.bind(py).clone()
    }

    /// `(name, value)` pairs, in column order.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self
            .columns
            .get()
            .names
            .bind(py)
            .iter()
            .zip(self.values.bind(py).iter())
            .map(|(n, v)| PyTuple::new(py, [n, v]))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, pairs)
    }

    /// The value of column `name`, or `default` when the row has no such column.
    #[pyo3(signature = (name, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.columns.get().position(py, name)? {
            Some(i) => self.values.bind(py).get_item(i),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }
}

/// The rows of a query, all fetched: iterable, indexable, and async-iterable.
#[pyclass(module = "aiocql", name = "AsyncResultSet", frozen)]
pub struct ResultSet {
    rows: Py<PyList>,
    columns: Option<Py<Columns>>,
    warnings: Vec<String>,
    /// From an `[applied]` column: None when there is none (not an LWT), Some(None) when the
    /// result has no row, Some(Some(applied)) otherwise. Kept apart from the rows, which a row
    /// factory may have turned into anything.
    applied: Option<Option<bool>>,
    /// When more pages follow (results of `execute_page`): the server's paging state and
    /// where to fetch the next page from.
    next_page: Option<(Arc<[u8]>, Arc<PageSource>)>,
}

impl ResultSet {
    /// This result as one page of a paged query, with the next page if there is one.
    pub(crate) fn with_next_page(
        mut self,
        next_page: Option<(Arc<[u8]>, Arc<PageSource>)>,
    ) -> Self {
        self.next_page = next_page;
        self
    }
}

#[pymethods]
impl ResultSet {
    /// The first row, or `None` when there are no rows.
    fn one(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let rows = self.rows.bind(py);
        if rows.is_empty() {
            Ok(py.None())
        } else {
            Ok(rows.get_item(0)?.unbind())
        }
    }

    /// A new list of all rows.
    fn all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.rows.bind(py).iter())
    }

    /// The rows (a new list each time).
    #[getter]
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.all(py)
    }

    /// Column names in result order; empty for statements that return no rows.
    #[getter]
    fn column_names(&self, py: Python<'_>) -> Vec<String> {
        match &self.columns {
            Some(c) => c
                .get()
                .names
                .bind(py)
                .iter()
                .map(|n| n.to_string())
                .collect(),
            None => Vec::new(),
        }
    }

    /// CQL types of the columns, spelled as in CQL (`int`, `map<text, int>`).
    #[getter]
    fn column_types(&self) -> Vec<String> {
        self.columns
            .as_ref()
            .map(|c| c.get().types.clone())
            .unwrap_or_default()
    }

    /// Warnings the server attached to the response.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// For a lightweight transaction (`IF ...`): whether it was applied.
    ///
    /// Raises `RuntimeError` for results that do not come from a lightweight transaction.
    #[getter]
    fn was_applied(&self) -> PyResult<bool> {
        let Some(applied) = self.applied else {
            return Err(runtime_error(
                "was_applied is only defined for the result of a lightweight transaction \
                 (a statement with IF ...)",
            ));
        };
        applied.ok_or_else(|| runtime_error("the lightweight transaction returned no row"))
    }

    /// Whether the server has more rows after this page (only `execute_page` results and
    /// their `fetch_next_page()` can be partial; `execute` fetches every page).
    #[getter]
    fn has_more_pages(&self) -> bool {
        self.next_page.is_some()
    }

    /// Where the next page starts, as opaque bytes (`None` on the last page). Pass it back as
    /// `execute_page(..., paging_state=...)` with the same query and parameters, in this process
    /// or another one.
    #[getter]
    fn paging_state<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.next_page
            .as_ref()
            .map(|(state, _)| PyBytes::new(py, state))
    }

    /// `paging_state` as URL-safe text (base64 without padding), for a REST API's `next`
    /// link or cursor; `execute_page(..., paging_state=token)` accepts it as is.
    #[getter]
    fn paging_token(&self) -> Option<String> {
        self.next_page
            .as_ref()
            .map(|(state, _)| paging_token(state))
    }

    /// Fetch the page after this one, as a new `AsyncResultSet`.
    ///
    /// Raises `QueryExhausted` when `has_more_pages` is False; otherwise the errors of
    /// `execute_page`. `timeout` defaults to the timeout of the call that made this page.
    ///
    ///     page = await session.execute_page(query, fetch_size=100)
    ///     while page.has_more_pages:
    ///         page = await page.fetch_next_page()
    #[pyo3(signature = (*, timeout=None))]
    fn fetch_next_page(&self, timeout: Option<f64>) -> PyResult<PendingRequest> {
        match &self.next_page {
            Some((state, source)) => source.next_page(state.clone(), timeout),
            None => {
                Err(DriverError::Exhausted("this is the last page: has_more_pages is False").into())
            }
        }
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.rows.bind(py).len()
    }

    fn __bool__(&self, py: Python<'_>) -> bool {
        !self.rows.bind(py).is_empty()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        index: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.rows.bind(py).as_any().get_item(index)
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.rows.bind(py).as_any().try_iter()?.into_any())
    }

    fn __aiter__(&self, py: Python<'_>) -> AsyncRowIterator {
        AsyncRowIterator {
            rows: self.rows.clone_ref(py),
            position: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<AsyncResultSet rows={} columns={:?}>",
            self.rows.bind(py).len(),
            self.column_names(py)
        )
    }
}

/// `async for` over rows already fetched: each step is an already-complete awaitable.
#[pyclass(module = "aiocql._native", frozen)]
pub struct AsyncRowIterator {
    rows: Py<PyList>,
    position: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl AsyncRowIterator {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Ready> {
        let i = self
            .position
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let rows = self.rows.bind(py);
        if i >= rows.len() {
            return Err(PyStopAsyncIteration::new_err(()));
        }
        Ok(Ready::new(rows.get_item(i)?.unbind()))
    }
}

/// How each row is made.
pub(crate) enum RowFactory<'py> {
    Named,
    Tuple,
    Dict,
    Call(Bound<'py, PyAny>),
}

impl<'py> RowFactory<'py> {
    pub(crate) fn new(py: Python<'py>, factory: Option<&Bound<'py, PyAny>>) -> PyResult<Self> {
        let Some(factory) = factory else {
            return Ok(RowFactory::Named);
        };
        Ok(if factory.is(py.get_type::<PyTuple>()) {
            RowFactory::Tuple
        } else if factory.is(py.get_type::<PyDict>()) {
            RowFactory::Dict
        } else if factory.is(py.get_type::<Row>()) {
            RowFactory::Named
        } else {
            RowFactory::Call(factory.clone())
        })
    }
}

/// Builds the result set from the pages the Rust side collected.
pub fn build_result_set(
    py: Python<'_>,
    pages: Vec<QueryResult>,
    row_factory: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, build_rows(py, pages, row_factory)?)?.into_any())
}

/// Converts one raw row's columns to Python values.
pub(crate) fn row_values<'py>(
    py: Python<'py>,
    raw: ColumnIterator<'_, '_>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut values: Vec<Bound<'py, PyAny>> = Vec::with_capacity(raw.columns_remaining());
    for column in raw {
        let column = column.map_err(|e| DriverError::Protocol(format!("malformed column: {e}")))?;
        let value = match column.slice {
            None => py.None().into_bound(py),
            Some(slice) => {
                deserialize(py, column.spec.typ(), slice.as_slice(), false).map_err(|e| {
                    DriverError::Protocol(format!(
                        "column '{}': {}",
                        column.spec.name(),
                        e.value(py)
                    ))
                })?
            }
        };
        values.push(value);
    }
    Ok(values)
}

/// The row object the factory asks for.
pub(crate) fn make_row<'py>(
    py: Python<'py>,
    factory: &RowFactory<'py>,
    columns: &Py<Columns>,
    specs: &[ColumnSpec<'_>],
    values: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match factory {
        RowFactory::Named => {
            let row = Row {
                values: PyTuple::new(py, values)?.unbind(),
                columns: columns.clone_ref(py),
            };
            Bound::new(py, row)?.into_any()
        }
        RowFactory::Tuple => PyTuple::new(py, values)?.into_any(),
        RowFactory::Dict | RowFactory::Call(_) => {
            let fields = PyDict::new(py);
            for (spec, value) in specs.iter().zip(values) {
                fields.set_item(spec.name(), value)?;
            }
            match factory {
                RowFactory::Call(f) => f.call((), Some(&fields))?,
                _ => fields.into_any(),
            }
        }
    })
}

/// The `Columns` of a page: shared with every result of the same shape.
pub(crate) fn page_columns(py: Python<'_>, page: &QueryRowsResult) -> PyResult<Py<Columns>> {
    columns_for(py, page.column_specs().as_slice())
}

/// The rows of `pages` as one `AsyncResultSet`, without paging information.
pub(crate) fn build_rows(
    py: Python<'_>,
    pages: Vec<QueryResult>,
    row_factory: Option<&Bound<'_, PyAny>>,
) -> PyResult<ResultSet> {
    let factory = RowFactory::new(py, row_factory)?;
    let mut applied: Option<Option<bool>> = None;
    let mut warnings = Vec::new();
    let mut row_pages: Vec<QueryRowsResult> = Vec::new();
    for page in pages {
        warnings.extend(page.warnings().map(str::to_owned));
        if page.is_rows() {
            let rows = page
                .into_rows_result()
                .map_err(|e| DriverError::Protocol(format!("cannot read the result: {e}")))?;
            row_pages.push(rows);
        }
    }
    let rows = PyList::empty(py);
    let mut columns: Option<Py<Columns>> = None;
    for page in &row_pages {
        let specs = page.column_specs();
        let cols = match &columns {
            Some(c) => c.clone_ref(py),
            None => {
                let c = columns_for(py, specs.as_slice())?;
                columns = Some(c.clone_ref(py));
                c
            }
        };
        let applied_position = specs.iter().position(|s| s.name() == "[applied]");
        if applied_position.is_some() && applied.is_none() {
            applied = Some(None);
        }
        let raw_rows = page
            .rows::<ColumnIterator>()
            .map_err(|e| DriverError::Protocol(format!("cannot read the rows: {e}")))?;
        for raw in raw_rows {
            let raw = raw.map_err(|e| DriverError::Protocol(format!("malformed row: {e}")))?;
            let values = row_values(py, raw)?;
            if let (Some(position), Some(None)) = (applied_position, applied) {
                applied = Some(Some(values[position].is_truthy()?));
            }
            rows.append(make_row(py, &factory, &cols, specs.as_slice(), values)?)?;
        }
    }
    Ok(ResultSet {
        rows: rows.unbind(),
        columns,
        warnings,
        applied,
        next_page: None,
    })
}
