//! [`ResultContext`]: how a request's rows are built (the call's row factory, the cluster's
//! user-type classes), bound to the conversion in one place.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use scylla::response::query_result::QueryResult;

use super::result_set::{build_rows, NextPageLink};
use super::row::RowBuilder;
use super::trace::TraceSource;

/// The row factory and user-type classes of one request's result.
#[derive(Clone)]
pub(crate) struct ResultContext {
    user_types: Option<Arc<Py<PyDict>>>,
    row_factory: Option<Arc<Py<PyAny>>>,
    /// Set for a call with `trace=True`: where its result fetches its trace from.
    traces: Option<Arc<dyn TraceSource>>,
}

impl ResultContext {
    pub(crate) fn new(
        user_types: Option<Arc<Py<PyDict>>>,
        row_factory: Option<Arc<Py<PyAny>>>,
    ) -> Self {
        ResultContext {
            user_types,
            row_factory,
            traces: None,
        }
    }

    /// The context of a traced call, whose result fetches its trace from `traces`.
    pub(crate) fn traced(mut self, traces: Arc<dyn TraceSource>) -> Self {
        self.traces = Some(traces);
        self
    }

    /// How this result's rows are made.
    pub(crate) fn rows<'py>(&self, py: Python<'py>) -> RowBuilder<'py> {
        let factory = self.row_factory.as_ref().map(|f| f.bind(py).clone());
        let user_types = self.user_types.as_ref().map(|t| t.bind(py).clone());
        RowBuilder::new(py, factory.as_ref(), user_types)
    }

    /// The rows of `pages` as one `AsyncResultSet`; `next_page` when more pages follow.
    pub(crate) fn result_set(
        &self,
        py: Python<'_>,
        pages: Vec<QueryResult>,
        next_page: Option<NextPageLink>,
    ) -> PyResult<Py<PyAny>> {
        let trace_id = pages.first().and_then(|page| page.tracing_id());
        let rows = build_rows(py, pages, &self.rows(py))?;
        let trace = trace_id.zip(self.traces.clone());
        Ok(Py::new(py, rows.with_next_page(next_page).with_trace(trace))?.into_any())
    }
}
