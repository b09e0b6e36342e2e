//! Execution, the `scylla` crate's `client` for Python calls: the state a session shares with
//! its requests, one prepare-and-cache, one deadline rule, one way to start a request, and the
//! pager, stream producer, batch and connect built on them.
//!
//! Modules, lowest first: `prepared_cache`, `core`, `deadline`, `request`, `prepare`, `pager`,
//! `resolve`, `stream`, `batch`, `connect`; `metadata` (snapshots, refresh, schema agreement)
//! and `host_events` (the producer of host events).

pub(crate) mod batch;
pub(crate) mod connect;
pub(crate) mod core;
pub(crate) mod deadline;
pub(crate) mod host_events;
pub(crate) mod hosts;
pub(crate) mod metadata;
pub(crate) mod metrics;
pub(crate) mod pager;
pub(crate) mod prepare;
pub(crate) mod prepared_cache;
pub(crate) mod profiles;
pub(crate) mod request;
pub(crate) mod resolve;
pub(crate) mod stream;
pub(crate) mod tracing;
