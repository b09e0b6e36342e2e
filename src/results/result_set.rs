//! `AsyncResultSet`: the rows of a result, all fetched, or one page of them with the way to the
//! next page.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyStopAsyncIteration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use scylla::deserialize::row::ColumnIterator;
use scylla::response::query_result::{QueryResult, QueryRowsResult};

use super::columns::{columns_for, Columns};
use super::row::{malformed_row, RowBuilder};
use super::trace::TraceLink;
use crate::bridge::{PendingRequest, Ready};
use crate::errors::{runtime_error, DriverError};
use crate::interop::args;

/// A partial result's way on: the server's paging state and where to fetch the next page from.
pub(crate) type NextPageLink = (Arc<[u8]>, Arc<dyn NextPage>);

/// Where the page after a partial result comes from. The execution layer implements it, so a
/// result set can fetch its next page without depending on how requests are run.
pub(crate) trait NextPage: Send + Sync {
    /// The page at `state`, with `timeout=` as the caller gave it.
    fn fetch(self: Arc<Self>, state: Arc<[u8]>, timeout: Option<f64>) -> PyResult<PendingRequest>;
}

/// The rows of a query, all fetched: iterable, indexable, and async-iterable.
#[pyclass(
    module = "aiocql",
    name = "AsyncResultSet",
    frozen,
    weakref,
    dict,
    subclass
)]
pub(crate) struct ResultSet {
    rows: Py<PyList>,
    columns: Option<Py<Columns>>,
    warnings: Vec<String>,
    /// The node (address and port) that coordinated the request, or its first page.
    coordinator: Option<SocketAddr>,
    /// From an `[applied]` column: None when there is none (not an LWT), Some(None) when the
    /// result has no row, Some(Some(applied)) otherwise. Kept apart from the rows, which a row
    /// factory may have turned into anything.
    applied: Option<Option<bool>>,
    /// When more pages follow (results of `execute_page`): the server's paging state and
    /// where to fetch the next page from.
    next_page: Option<NextPageLink>,
    /// For a call with `trace=True`: the trace's id and where to fetch it.
    trace: Option<TraceLink>,
}

impl ResultSet {
    /// This result with the trace of its request, if it was traced.
    pub(crate) fn with_trace(mut self, trace: Option<TraceLink>) -> Self {
        self.trace = trace;
        self
    }

    /// This result as one page of a paged query, with the next page if there is one.
    pub(crate) fn with_next_page(mut self, next_page: Option<NextPageLink>) -> Self {
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
            Some(c) => c.get().names(py).iter().map(|n| n.to_string()).collect(),
            None => Vec::new(),
        }
    }

    /// CQL types of the columns, spelled as in CQL (`int`, `map<text, int>`).
    #[getter]
    fn column_types(&self) -> Vec<String> {
        self.columns
            .as_ref()
            .map(|c| c.get().types().to_vec())
            .unwrap_or_default()
    }

    /// `"host:port"` of the node that coordinated the request (of its first page, for a
    /// result of several pages): where the load-balancing policy sent it, after any retry or
    /// speculative execution. None for a result built without a request.
    ///
    ///     rs = await session.execute(query, [key])
    ///     print(rs.coordinator)  # '10.0.0.2:9042'
    #[getter]
    fn coordinator(&self) -> Option<String> {
        self.coordinator.map(|address| address.to_string())
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
            .map(|(state, _)| args::paging_token(state))
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
            Some((state, source)) => source.clone().fetch(state.clone(), timeout),
            None => {
                Err(DriverError::Exhausted("this is the last page: has_more_pages is False").into())
            }
        }
    }

    /// The id of the request's trace (`execute(..., trace=True)`), or None.
    #[getter]
    fn trace_id(&self) -> Option<String> {
        self.trace.as_ref().map(|(id, _)| id.to_string())
    }

    /// Fetch the server's trace of the request, as an `aiocql.tracing.QueryTrace`: the
    /// coordinator, the duration and every event. None when the call did not ask for
    /// `trace=True`.
    ///
    /// Waits up to 2 s for the server to finish writing the trace; raises
    /// `OperationTimedOut` after `timeout` (default: the session's `request_timeout`).
    ///
    ///     rs = await session.execute(query, [key], trace=True)
    ///     trace = await rs.get_query_trace()
    ///     print(trace.coordinator, trace.duration, len(trace.events))
    #[pyo3(signature = (*, timeout=None))]
    fn get_query_trace(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        match &self.trace {
            Some((id, source)) => Ok(Py::new(py, source.clone().fetch(*id, timeout)?)?.into_any()),
            None => Ok(Py::new(py, Ready::new(py.None()))?.into_any()),
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
            position: AtomicUsize::new(0),
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
pub(crate) struct AsyncRowIterator {
    rows: Py<PyList>,
    position: AtomicUsize,
}

#[pymethods]
impl AsyncRowIterator {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Ready> {
        let i = self.position.fetch_add(1, Ordering::Relaxed);
        let rows = self.rows.bind(py);
        if i >= rows.len() {
            return Err(PyStopAsyncIteration::new_err(()));
        }
        Ok(Ready::new(rows.get_item(i)?.unbind()))
    }
}

/// The rows of `pages` as one `AsyncResultSet`, without paging information.
pub(crate) fn build_rows(
    py: Python<'_>,
    pages: Vec<QueryResult>,
    builder: &RowBuilder<'_>,
) -> PyResult<ResultSet> {
    let mut applied: Option<Option<bool>> = None;
    let mut warnings = Vec::new();
    let coordinator = pages
        .first()
        .map(|page| page.request_coordinator().connection_address());
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
            let raw = raw.map_err(malformed_row)?;
            let values = builder.values(raw)?;
            if let (Some(position), Some(None)) = (applied_position, applied) {
                applied = Some(Some(values[position].is_truthy()?));
            }
            rows.append(builder.row(&cols, specs.as_slice(), values)?)?;
        }
    }
    Ok(ResultSet {
        rows: rows.unbind(),
        columns,
        warnings,
        coordinator,
        applied,
        next_page: None,
        trace: None,
    })
}
