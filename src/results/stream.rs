//! `AsyncStreamingResultSet`, the consumer side of `execute_stream`: the rows of a large result
//! in constant memory. (The producer, which fetches the pages, is `execution::stream`.)
//!
//! Pages cross a channel of one slot ([`page_channel`]): while the consumer reads page N, page
//! N+1 is in flight or waiting, and page N+2 is not requested until page N+1 is taken. Memory is
//! bounded by two pages whatever the size of the result. Pages cross as raw frames and become
//! Python rows on the loop thread, [`CHUNK_ROWS`] at a time, only as they are consumed.
//! `__anext__` over rows already converted returns an already-complete awaitable: no future and
//! no scheduling per row. A consumer that never awaits anything else would hold the loop for the
//! whole result, so every [`YIELD_INTERVAL`] of continuous iteration one step yields to the event
//! loop first.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::{PyTraverseError, PyVisit};
use scylla::deserialize::result::TypedRowIterator;
use scylla::deserialize::row::ColumnIterator;
use scylla::response::query_result::QueryRowsResult;
use tokio::sync::mpsc::{self, Sender};

use super::columns::{page_columns, Columns};
use super::context::ResultContext;
use super::row::malformed_row;
use crate::bridge::inbox::Inbox;
use crate::bridge::runtime::AbortOnDrop;
use crate::bridge::{Completer, PendingRequest, Ready};
use crate::errors::{runtime_error, type_error, DriverError, DriverResult};

/// Rows converted to Python objects at a time, as the consumer reaches them.
const CHUNK_ROWS: usize = 256;
/// Continuous iteration longer than this yields once to the event loop: shorter intervals keep
/// the loop's other tasks responsive at a small cost in CPU (the A/B figures are in
/// benchmarks/README.md).
const YIELD_INTERVAL: Duration = Duration::from_micros(250);

/// What crosses the channel: a non-empty page, or the error that ended the stream.
pub(crate) type PageItem = DriverResult<QueryRowsResult>;
type RowCursor<'a> = TypedRowIterator<'a, 'a, ColumnIterator<'a, 'a>>;

self_cell::self_cell!(
    /// A page's raw rows and the position of the next row to convert.
    struct RawPage {
        owner: QueryRowsResult,

        #[not_covariant]
        dependent: RowCursor,
    }
);

/// Opens the channel a stream's pages cross: one slot, so the producer is at most one page
/// ahead (it reserves the slot before it requests a page).
pub(crate) fn page_channel() -> (Sender<PageItem>, Inbox<PageItem>) {
    let (sender, receiver) = mpsc::channel(1);
    (sender, Inbox::new(receiver))
}

/// What the consumer can have now.
enum Step<T> {
    Item(T),
    /// The stream is over.
    End,
    /// The next page has not arrived yet.
    Wait,
}

/// A stream of rows from `execute_stream`: `async for row in stream`, or page by page with
/// `async for page in stream.pages()`.
///
/// Use it as an async context manager (or call `close()`) to stop fetching when done.
/// One consumer at a time: rows and pages are handed out in order, each exactly once.
#[pyclass(
    module = "aiocql",
    name = "AsyncStreamingResultSet",
    weakref,
    dict,
    subclass
)]
pub(crate) struct StreamingResultSet {
    /// Raw rows of the current page not yet converted.
    page: Option<RawPage>,
    columns: Option<Py<Columns>>,
    /// Rows converted and not yet handed out.
    ready: VecDeque<Py<PyAny>>,
    inbox: Inbox<PageItem>,
    producer: Option<AbortOnDrop>,
    requested: Arc<AtomicUsize>,
    context: ResultContext,
    page_callback: Option<Py<PyAny>>,
    page_number: usize,
    total_rows: usize,
    finished: bool,
    last_yield: Instant,
}

impl StreamingResultSet {
    /// The stream of a producer that sends its pages through `receiver`, with `first`, the
    /// first item it sent. Dropping the stream drops `producer`, which stops it.
    pub(crate) fn open(
        py: Python<'_>,
        inbox: Inbox<PageItem>,
        first: Option<PageItem>,
        producer: AbortOnDrop,
        requested: Arc<AtomicUsize>,
        context: ResultContext,
        page_callback: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let stream = Bound::new(
            py,
            StreamingResultSet {
                page: None,
                columns: None,
                ready: VecDeque::new(),
                inbox,
                producer: Some(producer),
                requested,
                context,
                page_callback,
                page_number: 0,
                total_rows: 0,
                finished: false,
                last_yield: Instant::now(),
            },
        )?;
        Self::install(&stream, first)?;
        Ok(stream.into_any().unbind())
    }

    /// Makes `item` the current page and reports it to `page_callback`.
    fn install(slf: &Bound<'_, Self>, item: Option<PageItem>) -> PyResult<()> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut()?;
        let rows = match item {
            None => {
                this.finished = true;
                return Ok(());
            }
            Some(Err(err)) => {
                this.stop();
                return Err(err.into_pyerr(py));
            }
            Some(Ok(rows)) => rows,
        };
        let count = rows.rows_num();
        this.columns = Some(page_columns(py, &rows)?);
        let page = RawPage::try_new(rows, |rows| rows.rows::<ColumnIterator>()).map_err(|e| {
            this.stop();
            DriverError::Protocol(format!("cannot read the rows: {e}"))
        })?;
        this.page = Some(page);
        this.page_number += 1;
        this.total_rows += count;
        let number = this.page_number;
        let callback = this.page_callback.as_ref().map(|c| c.clone_ref(py));
        drop(this);
        if let Some(callback) = callback {
            let returned = callback.bind(py).call1((number, count))?;
            if !returned.is_none() && returned.hasattr(intern!(py, "__await__"))? {
                // An `async def` callback would silently never run: say so instead.
                if returned.hasattr(intern!(py, "close"))? {
                    returned.call_method0(intern!(py, "close"))?;
                }
                return Err(type_error(
                    "stream_config.page_callback must be a plain function: it returned an \
                     awaitable, which would never run (page_callback is called synchronously)",
                ));
            }
        }
        Ok(())
    }

    /// Converts up to `limit` rows of the current page into `ready`.
    fn convert(&mut self, py: Python<'_>, limit: usize) -> PyResult<()> {
        let Self {
            page,
            columns,
            ready,
            context,
            ..
        } = self;
        let (Some(raw), Some(columns)) = (page.as_mut(), columns.as_ref()) else {
            return Ok(());
        };
        let builder = context.rows(py);
        let converted = raw.with_dependent_mut(|rows_result, rows| -> PyResult<bool> {
            let specs = rows_result.column_specs();
            for _ in 0..limit {
                let Some(raw_row) = rows.next() else {
                    return Ok(true);
                };
                let values = builder.values(raw_row.map_err(malformed_row)?)?;
                let row = builder.row(columns, specs.as_slice(), values)?;
                ready.push_back(row.unbind());
            }
            Ok(rows.rows_remaining() == 0)
        });
        match converted {
            Ok(true) => {
                self.page = None;
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(err) => {
                // A row that cannot be read ends the stream: later rows are not silently skipped.
                self.stop();
                Err(err)
            }
        }
    }

    /// What `take` can make of the current page, installing pages that have already arrived
    /// until it makes something, the stream ends, or the next page is still on its way.
    fn step<T>(
        slf: &Bound<'_, Self>,
        mut take: impl FnMut(&mut Self, Python<'_>) -> PyResult<Option<T>>,
    ) -> PyResult<Step<T>> {
        let py = slf.py();
        loop {
            let mut this = slf.try_borrow_mut()?;
            if let Some(item) = take(&mut this, py)? {
                return Ok(Step::Item(item));
            }
            if this.finished {
                return Ok(Step::End);
            }
            let Some(item) = this.inbox.try_receive() else {
                return Ok(Step::Wait);
            };
            drop(this);
            Self::install(slf, item)?;
        }
    }

    /// The next row, if one can be had without waiting; and whether to yield to the loop first.
    fn step_row(slf: &Bound<'_, Self>) -> PyResult<Step<(Py<PyAny>, bool)>> {
        Self::step(slf, |this, py| loop {
            if let Some(row) = this.ready.pop_front() {
                let now = Instant::now();
                let yield_first = now.duration_since(this.last_yield) >= YIELD_INTERVAL;
                if yield_first {
                    this.last_yield = now;
                }
                return Ok(Some((row, yield_first)));
            }
            if this.page.is_none() {
                return Ok(None);
            }
            this.convert(py, CHUNK_ROWS)?;
        })
    }

    /// The rest of the current page, or the next page if it has arrived.
    fn step_page(slf: &Bound<'_, Self>) -> PyResult<Step<Py<PyList>>> {
        Self::step(slf, |this, py| {
            if this.page.is_none() && this.ready.is_empty() {
                return Ok(None);
            }
            this.convert(py, usize::MAX)?;
            this.last_yield = Instant::now();
            Ok(Some(PyList::new(py, this.ready.drain(..))?.unbind()))
        })
    }

    /// A request that completes when the next page has arrived, with what `take` makes of it.
    fn wait_for_page(
        slf: &Bound<'_, Self>,
        take: fn(&Bound<'_, Self>) -> PyResult<Py<PyAny>>,
    ) -> PyResult<PendingRequest> {
        let inbox = slf.try_borrow()?.inbox.clone();
        let stream = slf.clone().unbind();
        Ok(PendingRequest::from_work(async move {
            inbox.receive().await;
            Box::new(move |py: Python<'_>| {
                let stream = stream.bind(py);
                stream.try_borrow_mut()?.last_yield = Instant::now();
                take(stream)
            }) as Completer
        }))
    }

    fn row_after_wait(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        Self::after_wait(Self::step_row(slf)?, |(row, _)| row)
    }

    fn page_after_wait(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        Self::after_wait(Self::step_page(slf)?, Py::into_any)
    }

    /// The value of a step taken once the awaited page is in.
    fn after_wait<T>(step: Step<T>, value: impl FnOnce(T) -> Py<PyAny>) -> PyResult<Py<PyAny>> {
        match step {
            Step::Item(item) => Ok(value(item)),
            Step::End => Err(PyStopAsyncIteration::new_err(())),
            // The page is kept in the stream; only this waiter lost the race for it.
            Step::Wait => Err(runtime_error(
                "another coroutine consumed this stream's page: iterate a stream from one task",
            )),
        }
    }

    /// Stops fetching and drops what was fetched but not handed out.
    fn stop(&mut self) {
        self.finished = true;
        self.page = None;
        self.ready.clear();
        self.producer = None; // aborts the producer
        self.inbox.close();
    }
}

#[pymethods]
impl StreamingResultSet {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        match Self::step_row(slf)? {
            Step::Item((row, false)) => Ok(Py::new(py, Ready::new(row))?.into_any()),
            Step::Item((row, true)) => Ok(Py::new(py, Ready::after_yield(row))?.into_any()),
            Step::End => Err(PyStopAsyncIteration::new_err(())),
            Step::Wait => {
                Ok(Py::new(py, Self::wait_for_page(slf, Self::row_after_wait)?)?.into_any())
            }
        }
    }

    /// An async iterator over the remaining pages, each a list of rows (the first one is what
    /// is left of the current page). Rows and pages can be mixed on one stream.
    ///
    ///     async for page in stream.pages():
    ///         await bulk_index(page)
    fn pages(slf: &Bound<'_, Self>) -> PageIterator {
        PageIterator {
            stream: slf.clone().unbind(),
        }
    }

    /// Pages received so far (1 once the stream is returned, unless the result is empty).
    #[getter]
    fn page_number(&self) -> usize {
        self.page_number
    }

    /// Rows received so far, including those of the current page not yet iterated.
    #[getter]
    fn total_rows_fetched(&self) -> usize {
        self.total_rows
    }

    /// Page requests sent to the server so far (at most one page ahead of `page_number`,
    /// plus any empty pages the server returned).
    #[getter]
    fn pages_requested(&self) -> usize {
        self.requested.load(Ordering::SeqCst)
    }

    /// Stop fetching: no further page is requested, and iteration ends. Idempotent.
    fn cancel(&mut self, py: Python<'_>) -> Ready {
        self.stop();
        Ready::new(py.None())
    }

    /// Stop fetching and release the buffered rows (`cancel()` under another name).
    fn close(&mut self, py: Python<'_>) -> Ready {
        self.cancel(py)
    }

    fn __aenter__(slf: Bound<'_, Self>) -> Ready {
        Ready::new(slf.into_any().unbind())
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&mut self, py: Python<'_>, _exc_info: Bound<'_, pyo3::types::PyTuple>) -> Ready {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<AsyncStreamingResultSet page_number={} total_rows_fetched={}{}>",
            self.page_number,
            self.total_rows,
            if self.finished { " finished" } else { "" }
        )
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(callback) = &self.page_callback {
            visit.call(callback)?;
        }
        if let Some(columns) = &self.columns {
            visit.call(columns)?;
        }
        for row in &self.ready {
            visit.call(row)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.page_callback = None;
        self.ready.clear();
    }
}

/// `stream.pages()`: each step is a list of rows.
#[pyclass(module = "aiocql._native")]
pub(crate) struct PageIterator {
    stream: Py<StreamingResultSet>,
}

#[pymethods]
impl PageIterator {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let stream = self.stream.bind(py);
        match StreamingResultSet::step_page(stream)? {
            Step::Item(rows) => Ok(Py::new(py, Ready::new(rows.into_any()))?.into_any()),
            Step::End => Err(PyStopAsyncIteration::new_err(())),
            Step::Wait => Ok(Py::new(
                py,
                StreamingResultSet::wait_for_page(stream, StreamingResultSet::page_after_wait)?,
            )?
            .into_any()),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.stream)
    }
}
