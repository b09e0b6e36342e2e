//! The bridge between tokio and asyncio: how a request leaves the event loop's thread, runs on
//! the I/O thread without the GIL, and comes back as a Python value.
//!
//! Why not `pyo3_async_runtimes::future_into_py`: it costs two spawns, a blocking-pool hop and one
//! `call_soon_threadsafe` (a self-pipe write) per request. Here instead:
//!
//! * A request is a [`PendingRequest`](awaitable::PendingRequest), an awaitable that starts
//!   nothing until awaited (coroutine semantics). On first resumption it runs its [`Start`]
//!   step on the loop thread with the GIL (parameters are serialised there, so tokio tasks never
//!   need the GIL), creates one [`RequestFuture`](future::RequestFuture) and spawns its
//!   [`Work`] as one tokio task.
//! * Finished work pushes its [`Completer`] onto the loop's bridge queue
//!   ([`loop_bridge`], over a [`WakeQueue`](wake_queue::WakeQueue)). Only the push that finds the
//!   queue's "wake-up pending" flag clear writes a byte to a socketpair; the loop's reader
//!   callback drains the whole queue, so a burst of completions costs one wake-up.
//! * Python objects for a result are built in that drain, on the loop thread.
//! * `RequestFuture` speaks the protocol asyncio's `Task` uses for foreign futures. The drain
//!   runs at the top of an event-loop callback, outside any task, so it calls the waiting task's
//!   wake-up directly in the task's context: no `asyncio.Future`, no `call_soon` handle and no
//!   extra trip through the ready queue per request.
//! * Cancelling the awaiting task cancels the `RequestFuture` (or throws `CancelledError` into the
//!   awaitable), which aborts the tokio task: the Rust future is dropped, nothing more is sent.
//!
//! Modules, lowest first: `runtime` (the tokio runtime, in-flight count), `wake_queue`,
//! `request` (the three stages of a request), `future`, `loop_bridge`, `awaitable`; `inbox`, the
//! consumer's end of a channel that an async iterator reads.

pub(crate) mod awaitable;
pub(crate) mod future;
pub(crate) mod inbox;
pub(crate) mod loop_bridge;
pub(crate) mod request;
pub(crate) mod runtime;
pub(crate) mod wake_queue;

pub(crate) use awaitable::{PendingRequest, Ready};
pub(crate) use request::{completer, failure, Completer, Work};
