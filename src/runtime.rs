//! The tokio runtime and the bridge that hands its results to asyncio.
//!
//! Why not `pyo3_async_runtimes::future_into_py`: it costs two spawns, a blocking-pool hop and one
//! `call_soon_threadsafe` (a self-pipe write) per request, measured at 110-140 µs of CPU per await
//! on this kind of machine. Here instead:
//!
//! * A request is a [`PendingRequest`], an awaitable that starts nothing until awaited (coroutine
//!   semantics). On first resumption it runs its start step on the loop thread with the GIL
//!   (parameters are serialised there, so tokio tasks never need the GIL), creates one
//!   [`RequestFuture`] and spawns one tokio task.
//! * Finished tasks push their result onto the loop's [`Bridge`] queue. Only the push that finds
//!   the queue's "wake-up pending" flag clear writes a byte to a socketpair; the loop's reader
//!   callback drains the whole queue, so a burst of completions costs one wake-up.
//! * Python objects for a result are built in that drain, on the loop thread.
//! * [`RequestFuture`] speaks the protocol asyncio's `Task` uses for foreign futures
//!   (`_asyncio_future_blocking`, `get_loop`, `add_done_callback`, `result`, `cancel`). The drain
//!   runs at the top of an event-loop callback, outside any task, so it calls the waiting task's
//!   wake-up directly in the task's context: no `asyncio.Future`, no `call_soon` handle and no
//!   extra trip through the ready queue per request (profiles put those at ~15% of a request).
//! * Cancelling the awaiting task cancels the `RequestFuture` (or throws `CancelledError` into the
//!   awaitable), which aborts the tokio task: the Rust future is dropped, nothing more is sent.

use std::cell::RefCell;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::exceptions::asyncio::{CancelledError, InvalidStateError};
use pyo3::exceptions::{PyBaseException, PyException, PyRuntimeError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};
use pyo3::{PyTraverseError, PyVisit};
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use crate::errors::{runtime_error, DriverError};

/// Builds the Python result on the loop thread, once the Rust work is done.
pub type Completer = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
/// The Rust side of a request: network work that runs on tokio without the GIL.
pub type Work = Pin<Box<dyn Future<Output = Completer> + Send>>;
/// Runs on the loop thread when the request is first awaited; returns the work to spawn.
pub type Start = Box<dyn FnOnce(Python<'_>) -> PyResult<Work> + Send + Sync>;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data inconsistent (pushes and
    // takes are single operations), so a poisoned lock is still safe to use.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The runtime
// ---------------------------------------------------------------------------------------------

static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);
/// Bumped when bridges are dropped or the process forks, so per-thread caches re-validate.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// One I/O thread unless `AIOCQL_WORKER_THREADS` says otherwise.
///
/// One asyncio thread produces the requests, and one tokio worker keeps up with it (the pure
/// Rust client does 100k+ requests/s per core). A second worker costs more than it gives: the
/// workers wake each other through futexes, and the benchmarks measured ~25% more CPU per
/// request and lower throughput with two.
fn worker_threads() -> usize {
    std::env::var("AIOCQL_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

/// The process-wide tokio runtime, built on first use.
pub fn handle() -> PyResult<Handle> {
    let mut guard = lock(&RUNTIME);
    if let Some(rt) = guard.as_ref() {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("aiocql-io")
        .enable_all()
        .build()
        .map_err(|e| runtime_error(format!("cannot start the aiocql I/O runtime: {e}")))?;
    let handle = rt.handle().clone();
    *guard = Some(rt);
    Ok(handle)
}

/// Called in the child after `os.fork()`: the parent's I/O threads do not exist here.
///
/// The old runtime is leaked, not dropped: dropping would wait for threads that were not
/// copied by fork. Connections inherited from the parent must not be used by the child either.
#[pyfunction]
pub fn _reset_after_fork() {
    if let Some(old) = lock(&RUNTIME).take() {
        std::mem::forget(old);
    }
    let stale = std::mem::take(&mut *lock(&BRIDGES));
    std::mem::forget(stale);
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a spawned request until it finishes or is aborted.
pub(crate) struct InFlight;

impl InFlight {
    pub(crate) fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Requests whose Rust work has been spawned and has not yet finished or been aborted.
///
/// For leak tests and diagnostics: after every awaiting task is done or cancelled this drops
/// back to zero (abort is asynchronous, so allow the runtime a moment).
#[pyfunction]
pub fn _in_flight_requests() -> usize {
    IN_FLIGHT.load(Ordering::SeqCst)
}

/// Runs `work` with a deadline; an elapsed deadline becomes `OperationTimedOut`.
pub async fn with_timeout<T>(
    timeout: Option<Duration>,
    what: &'static str,
    work: impl Future<Output = Result<T, DriverError>>,
) -> Result<T, DriverError> {
    match timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(DriverError::OperationTimedOut {
                what,
                timeout: limit,
            }),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// One bridge per asyncio loop
// ---------------------------------------------------------------------------------------------

struct Completion {
    future: Py<RequestFuture>,
    completer: Completer,
}

/// A multi-producer queue whose consumer sleeps in a poller: producers write one wake-up byte
/// to a socketpair only when the consumer is not already due to run, so a burst of N pushes
/// costs one syscall and one loop iteration, not N.
pub(crate) struct WakeQueue<T> {
    items: Mutex<Vec<T>>,
    wake_pending: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl<T> WakeQueue<T> {
    pub(crate) fn new() -> std::io::Result<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(WakeQueue {
            items: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            reader,
            writer,
        })
    }

    /// The descriptor that becomes readable when items are waiting.
    pub(crate) fn fd(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    pub(crate) fn push(&self, item: T) {
        lock(&self.items).push(item);
        self.wake();
    }

    /// Writes the wake-up byte unless one is already due.
    fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            // A full socket buffer means a wake-up is already pending: nothing is lost.
            let _ = (&self.writer).write(&[1u8]);
        }
    }

    /// Puts items taken but not handled back in front of the queue and re-arms the wake-up, so
    /// the consumer gets them on its next turn, before anything pushed since.
    pub(crate) fn requeue(&self, mut rest: Vec<T>) {
        if rest.is_empty() {
            return;
        }
        {
            let mut items = lock(&self.items);
            rest.append(&mut items);
            *items = rest;
        }
        self.wake();
    }

    /// Everything pushed so far. Call when `fd()` is readable.
    pub(crate) fn take(&self) -> Vec<T> {
        // Order matters. 1: consume the wake-up bytes. 2: clear the flag. 3: take the items.
        // Every push enqueues before it swaps the flag, so a push that saw the flag still set
        // (swap before step 2) has its item taken in step 3, and a push after step 2 writes a
        // fresh byte that schedules the next take. Clearing the flag before reading would lose
        // wake-ups: the read could swallow the byte of a push whose flag then stays set.
        let mut sink = [0u8; 64];
        loop {
            match (&self.reader).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        self.wake_pending.store(false, Ordering::SeqCst);
        std::mem::take(&mut *lock(&self.items))
    }
}

/// How long one drain may run before yielding to the event loop.
const DRAIN_BUDGET: Duration = Duration::from_micros(500);

/// Completion queue of one asyncio event loop.
pub struct Bridge {
    event_loop: Py<PyAny>,
    queue: WakeQueue<Completion>,
}

impl Bridge {
    fn push(&self, completion: Completion) {
        self.queue.push(completion);
    }

    /// Completes the queued requests, for at most [`DRAIN_BUDGET`]: each completion also runs
    /// the awaiting task's next step, and a burst of thousands must not hold the loop away
    /// from its timers and other callbacks. The rest waits for the loop's next turn.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let started = Instant::now();
        let mut completions = self.queue.take().into_iter();
        while let Some(completion) = completions.next() {
            let outcome = complete(py, completion);
            if outcome.is_err() || started.elapsed() >= DRAIN_BUDGET {
                // On error (KeyboardInterrupt or SystemExit from a task step) the loop stops,
                // as with asyncio's own callbacks; the other completions stay queued.
                self.queue.requeue(completions.collect());
                return outcome;
            }
        }
        Ok(())
    }
}

/// Sets the outcome of one request and wakes its awaiting task. Errors are only those that must
/// stop the event loop (BaseException that is not an Exception).
fn complete(py: Python<'_>, completion: Completion) -> PyResult<()> {
    let future = completion.future.bind(py);
    // A cancelled awaiter has already moved on; its result is dropped unconverted.
    if !future.borrow().is_pending() {
        return Ok(());
    }
    let outcome = match (completion.completer)(py) {
        Ok(value) => Outcome::Value(value),
        Err(err) => Outcome::Error(err),
    };
    let callbacks = match future.try_borrow_mut() {
        Ok(mut state) if state.is_pending() => state.finish(outcome),
        _ => return Ok(()),
    };
    for (callback, context) in callbacks {
        let called = match &context {
            Some(context) => context
                .bind(py)
                .call_method1(intern!(py, "run"), (&callback, future)),
            None => callback.bind(py).call1((future,)),
        };
        if let Err(err) = called {
            if !err.is_instance_of::<PyException>(py) {
                return Err(err);
            }
            report_callback_error(py, future, &callback, err);
        }
    }
    Ok(())
}

/// What asyncio does with an exception raised by a callback: hand it to the loop's handler.
fn report_callback_error(
    py: Python<'_>,
    future: &Bound<'_, RequestFuture>,
    callback: &Py<PyAny>,
    err: PyErr,
) {
    let event_loop = future.borrow().event_loop.clone_ref(py);
    let reported = (|| -> PyResult<()> {
        let context = PyDict::new(py);
        context.set_item("message", "Exception in an aiocql request callback")?;
        context.set_item("exception", err.value(py))?;
        context.set_item("future", future)?;
        context.set_item("callback", callback)?;
        event_loop
            .bind(py)
            .call_method1(intern!(py, "call_exception_handler"), (context,))?;
        Ok(())
    })();
    if reported.is_err() {
        err.write_unraisable(py, Some(future.as_any()));
    }
}

/// The loop's reader callback; exists only to be registered with `loop.add_reader`.
#[pyclass(module = "aiocql._native", frozen)]
pub struct LoopBridge {
    inner: Arc<Bridge>,
}

#[pymethods]
impl LoopBridge {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.drain(py)
    }
}

static BRIDGES: Mutex<Vec<Arc<Bridge>>> = Mutex::new(Vec::new());

thread_local! {
    static LAST_BRIDGE: RefCell<Option<(usize, u64, Arc<Bridge>)>> = const { RefCell::new(None) };
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let get = GET_RUNNING_LOOP.get_or_try_init(py, || {
        py.import("asyncio")?
            .getattr("get_running_loop")
            .map(Bound::unbind)
    })?;
    get.bind(py).call0()
}

/// The bridge of the running loop, created and registered with the loop on first use.
fn current_bridge(py: Python<'_>) -> PyResult<Arc<Bridge>> {
    let event_loop = running_loop(py)?;
    let key = event_loop.as_ptr() as usize;
    let generation = GENERATION.load(Ordering::Acquire);
    let cached = LAST_BRIDGE.with(|cell| match &*cell.borrow() {
        Some((k, g, bridge)) if *k == key && *g == generation => Some(bridge.clone()),
        _ => None,
    });
    if let Some(bridge) = cached {
        return Ok(bridge);
    }
    let bridge = find_or_create_bridge(py, &event_loop)?;
    LAST_BRIDGE.with(|cell| {
        *cell.borrow_mut() = Some((key, GENERATION.load(Ordering::Acquire), bridge.clone()))
    });
    Ok(bridge)
}

fn find_or_create_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Bridge>> {
    let mut bridges = lock(&BRIDGES);
    if let Some(bridge) = bridges
        .iter()
        .find(|b| b.event_loop.as_ptr() == event_loop.as_ptr())
    {
        return Ok(bridge.clone());
    }
    // Forget bridges of loops that were closed (pytest and asyncio.run make a loop per run).
    // The registry holds a strong reference to each loop, so a live loop's address is never
    // reused by another loop while its bridge is registered.
    let before = bridges.len();
    bridges.retain(|b| {
        !b.event_loop
            .bind(py)
            .call_method0(intern!(py, "is_closed"))
            .and_then(|c| c.is_truthy())
            .unwrap_or(true)
    });
    if bridges.len() != before {
        GENERATION.fetch_add(1, Ordering::AcqRel);
    }

    let queue = WakeQueue::new()
        .map_err(|e| runtime_error(format!("cannot create the asyncio wake-up socket: {e}")))?;
    let fd = queue.fd();
    let bridge = Arc::new(Bridge {
        event_loop: event_loop.clone().unbind(),
        queue,
    });
    let callback = Py::new(
        py,
        LoopBridge {
            inner: bridge.clone(),
        },
    )?;
    event_loop
        .call_method1(intern!(py, "add_reader"), (fd, callback))
        .map_err(|e| {
            let msg = format!(
                "aiocql needs an event loop that supports add_reader() (asyncio's selector \
                 loop or uvloop): {}",
                e.value(py)
            );
            PyRuntimeError::new_err(msg)
        })?;
    bridges.push(bridge.clone());
    Ok(bridge)
}

// ---------------------------------------------------------------------------------------------
// Awaitables
// ---------------------------------------------------------------------------------------------

enum Outcome {
    Pending,
    Value(Py<PyAny>),
    Error(PyErr),
    Cancelled(Option<Py<PyAny>>),
}

type Callbacks = Vec<(Py<PyAny>, Option<Py<PyAny>>)>;

/// The future a waiting asyncio task sees while an aiocql request is in flight.
///
/// It implements what `asyncio.Task` requires of a foreign future; users never hold one unless
/// they look at `task._fut_waiter`. Cancelling it aborts the request's Rust work.
#[pyclass(module = "aiocql._native")]
pub struct RequestFuture {
    #[pyo3(get, set, name = "_asyncio_future_blocking")]
    blocking: bool,
    event_loop: Py<PyAny>,
    outcome: Outcome,
    callbacks: Callbacks,
    abort: Option<AbortHandle>,
}

impl RequestFuture {
    fn is_pending(&self) -> bool {
        matches!(self.outcome, Outcome::Pending)
    }

    /// Stores the outcome and hands back the callbacks to run.
    fn finish(&mut self, outcome: Outcome) -> Callbacks {
        self.outcome = outcome;
        self.abort = None;
        std::mem::take(&mut self.callbacks)
    }

    /// Marks the request cancelled and stops its Rust work; returns the callbacks to schedule.
    fn cancel_work(&mut self, msg: Option<Py<PyAny>>) -> Callbacks {
        if let Some(abort) = self.abort.take() {
            abort.abort();
        }
        self.finish(Outcome::Cancelled(msg))
    }

    fn outcome_result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.outcome {
            Outcome::Value(value) => Ok(value.clone_ref(py)),
            Outcome::Error(err) => Err(err.clone_ref(py)),
            Outcome::Cancelled(None) => Err(CancelledError::new_err(())),
            Outcome::Cancelled(Some(msg)) => Err(CancelledError::new_err((msg.clone_ref(py),))),
            Outcome::Pending => Err(InvalidStateError::new_err("Result is not set.")),
        }
    }
}

fn schedule_callbacks(
    py: Python<'_>,
    future: &Bound<'_, RequestFuture>,
    event_loop: &Py<PyAny>,
    callbacks: Callbacks,
) -> PyResult<()> {
    for (callback, context) in callbacks {
        let kwargs = PyDict::new(py);
        if let Some(context) = context {
            kwargs.set_item(intern!(py, "context"), context)?;
        }
        event_loop.bind(py).call_method(
            intern!(py, "call_soon"),
            (callback, future),
            Some(&kwargs),
        )?;
    }
    Ok(())
}

#[pymethods]
impl RequestFuture {
    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    fn done(&self) -> bool {
        !self.is_pending()
    }

    fn cancelled(&self) -> bool {
        matches!(self.outcome, Outcome::Cancelled(_))
    }

    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.outcome_result(py)
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match &self.outcome {
            Outcome::Value(_) => Ok(None),
            Outcome::Error(err) => Ok(Some(err.value(py).clone().into_any().unbind())),
            _ => self.outcome_result(py).map(|_| None),
        }
    }

    #[pyo3(signature = (callback, *, context=None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        callback: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        if this.is_pending() {
            this.callbacks.push((callback, context));
            return Ok(());
        }
        let event_loop = this.event_loop.clone_ref(py);
        drop(this);
        schedule_callbacks(py, slf, &event_loop, vec![(callback, context)])
    }

    fn remove_done_callback(&mut self, py: Python<'_>, callback: Bound<'_, PyAny>) -> usize {
        let before = self.callbacks.len();
        self.callbacks
            .retain(|(cb, _)| !cb.bind(py).eq(&callback).unwrap_or(false));
        before - self.callbacks.len()
    }

    #[pyo3(signature = (msg=None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        let mut this = slf.borrow_mut();
        if !this.is_pending() {
            return Ok(false);
        }
        let callbacks = this.cancel_work(msg);
        let event_loop = this.event_loop.clone_ref(py);
        drop(this);
        schedule_callbacks(py, slf, &event_loop, callbacks)?;
        Ok(true)
    }

    fn __repr__(&self) -> &'static str {
        match self.outcome {
            Outcome::Pending => "<RequestFuture pending>",
            Outcome::Value(_) => "<RequestFuture finished>",
            Outcome::Error(_) => "<RequestFuture finished with an exception>",
            Outcome::Cancelled(_) => "<RequestFuture cancelled>",
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        for (callback, context) in &self.callbacks {
            visit.call(callback)?;
            if let Some(context) = context {
                visit.call(context)?;
            }
        }
        match &self.outcome {
            Outcome::Value(value) => visit.call(value)?,
            Outcome::Cancelled(Some(msg)) => visit.call(msg)?,
            _ => {}
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.callbacks.clear();
    }
}

enum State {
    NotStarted(Start),
    Waiting {
        future: Py<RequestFuture>,
        abort: AbortHandle,
    },
    Finished,
}

/// An in-flight driver call. Await it once; cancelling the awaiting task cancels the call.
#[pyclass(module = "aiocql._native")]
pub struct PendingRequest {
    state: State,
}

impl PendingRequest {
    /// A request whose `start` runs when it is first awaited.
    pub fn new(start: Start) -> Self {
        PendingRequest {
            state: State::NotStarted(start),
        }
    }

    /// A request that needs no Python work before the network: `work` is spawned when awaited.
    pub fn from_work<F>(work: F) -> Self
    where
        F: Future<Output = Completer> + Send + 'static,
    {
        // A Mutex makes the not-Sync future shareable; it is taken exactly once.
        let work = Mutex::new(Box::pin(work) as Work);
        Self::new(Box::new(move |_py| {
            Ok(work.into_inner().unwrap_or_else(|p| p.into_inner()))
        }))
    }

    fn abort(&mut self, py: Python<'_>) {
        if let State::Waiting { future, abort } =
            std::mem::replace(&mut self.state, State::Finished)
        {
            abort.abort();
            // The task throwing into us is awake already: its wake-up callback is dropped.
            if let Ok(mut future) = future.bind(py).try_borrow_mut() {
                if future.is_pending() {
                    drop(future.cancel_work(None));
                }
            }
        }
    }

    fn resume(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::NotStarted(start) => {
                let work = start(py)?;
                let bridge = current_bridge(py)?;
                let future = Py::new(
                    py,
                    RequestFuture {
                        blocking: true,
                        event_loop: bridge.event_loop.clone_ref(py),
                        outcome: Outcome::Pending,
                        callbacks: Vec::with_capacity(1),
                        abort: None,
                    },
                )?;
                let target = future.clone_ref(py);
                let in_flight = InFlight::enter();
                let join = handle()?.spawn(async move {
                    // Dropped when the task ends or is aborted: the count cannot leak.
                    let _in_flight = in_flight;
                    let completer = work.await;
                    bridge.push(Completion {
                        future: target,
                        completer,
                    });
                });
                let abort = join.abort_handle();
                future.borrow_mut(py).abort = Some(abort.clone());
                let yielded = future.clone_ref(py).into_any();
                self.state = State::Waiting { future, abort };
                Ok(Some(yielded))
            }
            State::Waiting { future, abort } => {
                let mut state = future.borrow_mut(py);
                if state.is_pending() {
                    // Resumed early (someone called send()): keep waiting on the same future.
                    state.blocking = true;
                    drop(state);
                    let yielded = future.clone_ref(py).into_any();
                    self.state = State::Waiting { future, abort };
                    return Ok(Some(yielded));
                }
                let value = state.outcome_result(py)?;
                Err(PyStopIteration::new_err((value,)))
            }
            State::Finished => Err(runtime_error(
                "this aiocql request was already awaited; call the method again for a new request",
            )),
        }
    }
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        // Dropped while in flight (the awaiting coroutine was garbage-collected): stop the work.
        if let State::Waiting { abort, .. } = &self.state {
            abort.abort();
        }
    }
}

fn exception_from_throw(typ: &Bound<'_, PyAny>, value: Option<&Bound<'_, PyAny>>) -> PyErr {
    if let Some(value) = value.filter(|v| !v.is_none()) {
        if value.is_instance_of::<PyBaseException>() {
            return PyErr::from_value(value.clone());
        }
        if let Ok(cls) = typ.cast::<PyType>() {
            return match cls.call1((value,)) {
                Ok(exc) => PyErr::from_value(exc),
                Err(e) => e,
            };
        }
    }
    if typ.is_instance_of::<PyBaseException>() {
        return PyErr::from_value(typ.clone());
    }
    match typ.call0() {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

#[pymethods]
impl PendingRequest {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.resume(py)
    }

    #[pyo3(signature = (_value=None))]
    fn send(
        &mut self,
        py: Python<'_>,
        _value: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.resume(py)
    }

    /// Called by the awaiting coroutine when an exception (typically `CancelledError`) is thrown
    /// into it: the Rust work is aborted and the exception propagates.
    #[pyo3(signature = (typ, value=None, _traceback=None))]
    fn throw(
        &mut self,
        py: Python<'_>,
        typ: Bound<'_, PyAny>,
        value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.abort(py);
        Err(exception_from_throw(&typ, value.as_ref()))
    }

    fn close(&mut self, py: Python<'_>) {
        self.abort(py);
    }
}

/// An awaitable that is already complete: awaiting it costs no scheduling at all.
///
/// [`Ready::after_yield`] first yields once to the event loop (as `asyncio.sleep(0)` does), so
/// that a long run of already-complete awaits cannot starve the loop's other tasks.
#[pyclass(module = "aiocql._native")]
pub struct Ready {
    value: Option<Py<PyAny>>,
    yield_first: bool,
}

impl Ready {
    pub fn new(value: Py<PyAny>) -> Self {
        Ready {
            value: Some(value),
            yield_first: false,
        }
    }

    /// Completes with `value` after one trip through the event loop's ready queue.
    pub fn after_yield(value: Py<PyAny>) -> Self {
        Ready {
            value: Some(value),
            yield_first: true,
        }
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.yield_first && self.value.is_some() {
            // A bare `yield`: the task reschedules itself with call_soon.
            self.yield_first = false;
            return Ok(Some(py.None()));
        }
        match self.value.take() {
            Some(value) => Err(PyStopIteration::new_err((value,))),
            None => Err(runtime_error("this awaitable was already awaited")),
        }
    }

    #[pyo3(signature = (_value=None))]
    fn send(
        &mut self,
        py: Python<'_>,
        _value: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.__next__(py)
    }

    #[pyo3(signature = (typ, value=None, _traceback=None))]
    fn throw(
        &mut self,
        typ: Bound<'_, PyAny>,
        value: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        self.value = None;
        Err(exception_from_throw(&typ, value.as_ref()))
    }

    fn close(&mut self) {
        self.value = None;
    }
}

/// A completer that raises `err`'s exception.
pub fn failure(err: DriverError) -> Completer {
    Box::new(move |py| Err(err.into_pyerr(py)))
}

/// Turns a driver result into a completer that raises the mapped exception or builds the value.
pub fn completer<T, F>(result: Result<T, DriverError>, build: F) -> Completer
where
    T: Send + 'static,
    F: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    Box::new(move |py| match result {
        Ok(value) => build(py, value),
        Err(err) => Err(err.into_pyerr(py)),
    })
}

#[cfg(test)]
mod tests {
    use super::WakeQueue;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn readable(fd: i32) -> bool {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        unsafe { libc::poll(&mut poll, 1, 0) == 1 }
    }

    /// Producers race a consumer that only takes when the wake-up fd is readable, as the event
    /// loop does: every item must arrive, or a lost wake-up would strand it forever.
    #[test]
    fn wake_queue_never_strands_an_item() {
        const PRODUCERS: usize = 4;
        const PER_PRODUCER: usize = 50_000;
        // infallible here: a test; a socketpair failure should fail it loudly.
        let queue = Arc::new(WakeQueue::<usize>::new().expect("socketpair"));
        let done = Arc::new(AtomicBool::new(false));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let queue = queue.clone();
                std::thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        queue.push(p * PER_PRODUCER + i);
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let consumer = {
            let queue = queue.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut received = 0usize;
                let mut idle_since: Option<Instant> = None;
                loop {
                    // Take only when readable, as the event loop's selector does.
                    if readable(queue.fd()) {
                        received += queue.take().len();
                        idle_since = None;
                    } else if done.load(Ordering::SeqCst) {
                        let since = *idle_since.get_or_insert_with(Instant::now);
                        if received == PRODUCERS * PER_PRODUCER
                            || since.elapsed() > Duration::from_secs(2)
                        {
                            return received;
                        }
                    }
                    std::thread::yield_now();
                }
            })
        };
        for p in producers {
            p.join().expect("producer"); // infallible: test threads; a panic fails the test
        }
        done.store(true, Ordering::SeqCst);
        let received = consumer.join().expect("consumer"); // infallible: as above
        assert_eq!(
            received,
            PRODUCERS * PER_PRODUCER,
            "wake-up lost: items stranded"
        );
    }
}
