//! The tokio runtime and the bridge that hands its results to asyncio.
//!
//! Why not `pyo3_async_runtimes::future_into_py`: it costs two spawns, a blocking-pool hop and one
//! `call_soon_threadsafe` (a self-pipe write) per request, measured at 110-140 µs of CPU per await
//! on this kind of machine. Here instead:
//!
//! * A request is a [`PendingRequest`], an awaitable that starts nothing until awaited (coroutine
//!   semantics). On first resumption it runs its start step on the loop thread with the GIL
//!   (parameters are serialised there, so tokio tasks never need the GIL), creates one asyncio
//!   future and spawns one tokio task.
//! * Finished tasks push their result onto the loop's [`Bridge`] queue. Only the push that finds
//!   the queue's "wake-up pending" flag clear writes a byte to a socketpair; the loop's reader
//!   callback drains the whole queue, so a burst of completions costs one wake-up.
//! * Python objects for a result are built in that drain, on the loop thread.
//! * Cancelling the awaiting task throws `CancelledError` into the awaitable, which aborts the
//!   tokio task: the Rust future is dropped, nothing more is sent.

use std::cell::RefCell;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pyo3::exceptions::{PyBaseException, PyRuntimeError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use crate::errors::{runtime_error, DriverError};

/// Builds the Python result on the loop thread, once the Rust work is done.
pub type Completer = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;
/// The Rust side of a request: network work that runs on tokio without the GIL.
pub type Work = Pin<Box<dyn Future<Output = Completer> + Send>>;
/// Runs on the loop thread when the request is first awaited; returns the work to spawn.
pub type Start = Box<dyn FnOnce(Python<'_>) -> PyResult<Work> + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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

fn worker_threads() -> usize {
    std::env::var("AIOCQL_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get().min(2))
                .unwrap_or(1)
        })
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
struct InFlight;

impl InFlight {
    fn enter() -> Self {
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
    future: Py<PyAny>,
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
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            // A full socket buffer means a wake-up is already pending: nothing is lost.
            let _ = (&self.writer).write(&[1u8]);
        }
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

/// Completion queue of one asyncio event loop.
pub struct Bridge {
    event_loop: Py<PyAny>,
    queue: WakeQueue<Completion>,
}

impl Bridge {
    fn push(&self, completion: Completion) {
        self.queue.push(completion);
    }

    fn drain(&self, py: Python<'_>) {
        for completion in self.queue.take() {
            complete(py, completion);
        }
    }
}

fn complete(py: Python<'_>, completion: Completion) {
    let future = completion.future.bind(py);
    // A cancelled awaiter has already moved on; its result is dropped unconverted.
    match future
        .call_method0(intern!(py, "done"))
        .and_then(|d| d.is_truthy())
    {
        Ok(false) => {}
        _ => return,
    }
    let outcome = match (completion.completer)(py) {
        Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(intern!(py, "set_exception"), (err.into_value(py),)),
    };
    if let Err(err) = outcome {
        err.write_unraisable(py, Some(future));
    }
}

/// The loop's reader callback; exists only to be registered with `loop.add_reader`.
#[pyclass(module = "aiocql._native", frozen)]
pub struct LoopBridge {
    inner: Arc<Bridge>,
}

#[pymethods]
impl LoopBridge {
    fn __call__(&self, py: Python<'_>) {
        self.inner.drain(py);
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

enum State {
    NotStarted(Start),
    Waiting {
        future: Py<PyAny>,
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
            let future = future.bind(py);
            if let Ok(false) = future
                .call_method0(intern!(py, "done"))
                .and_then(|d| d.is_truthy())
            {
                let _ = future.call_method0(intern!(py, "cancel"));
            }
        }
    }

    fn resume(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::NotStarted(start) => {
                let work = start(py)?;
                let bridge = current_bridge(py)?;
                let future = bridge
                    .event_loop
                    .bind(py)
                    .call_method0(intern!(py, "create_future"))?;
                let target = future.clone().unbind();
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
                future.setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                let yielded = future.clone().unbind();
                self.state = State::Waiting {
                    future: future.unbind(),
                    abort: join.abort_handle(),
                };
                Ok(Some(yielded))
            }
            State::Waiting { future, abort } => {
                let bound = future.bind(py);
                if !bound.call_method0(intern!(py, "done"))?.is_truthy()? {
                    // Resumed early (someone called send()): keep waiting on the same future.
                    bound.setattr(intern!(py, "_asyncio_future_blocking"), true)?;
                    let yielded = future.clone_ref(py);
                    self.state = State::Waiting { future, abort };
                    return Ok(Some(yielded));
                }
                let value = bound.call_method0(intern!(py, "result"))?;
                Err(PyStopIteration::new_err((value.unbind(),)))
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
#[pyclass(module = "aiocql._native")]
pub struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub fn new(value: Py<PyAny>) -> Self {
        Ready { value: Some(value) }
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

    fn __next__(&mut self) -> PyResult<Option<Py<PyAny>>> {
        match self.value.take() {
            Some(value) => Err(PyStopIteration::new_err((value,))),
            None => Err(runtime_error("this awaitable was already awaited")),
        }
    }

    #[pyo3(signature = (_value=None))]
    fn send(&mut self, _value: Option<Bound<'_, PyAny>>) -> PyResult<Option<Py<PyAny>>> {
        self.__next__()
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
            p.join().expect("producer");
        }
        done.store(true, Ordering::SeqCst);
        let received = consumer.join().expect("consumer");
        assert_eq!(
            received,
            PRODUCERS * PER_PRODUCER,
            "wake-up lost: items stranded"
        );
    }
}
