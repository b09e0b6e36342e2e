//! aiocql's native core: a Cassandra/ScyllaDB driver for asyncio on the `scylla` crate.
//!
//! Python sees this crate as `aiocql._native`; the public API lives in `python/aiocql`.
//! docs/architecture.md maps the layers, lowest first: `errors` and `interop`; `bridge` and
//! `codec` and `policies`; `statement` and `config`; `results` and `metadata`; `execution`; the
//! facades `session` and `cluster`. A module uses only its own layer or lower ones (`make lint`
//! checks it). This file only registers.

// Bind errors carry the parameter, column, CQL type and Python type that users need in the
// message (about 130 bytes). They are built only on the failure path, where the size of the
// Result is irrelevant; boxing them would only add an allocation.
#![allow(clippy::result_large_err)]
// A `PyErr` (or any `Result`) must be handled or propagated, never silently dropped.
#![deny(clippy::let_underscore_must_use)]

/// mimalloc instead of the system allocator, as pydantic-core does: a request allocates on the
/// asyncio thread and frees on the I/O thread (and back), where glibc's malloc is slow.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bridge;
mod cluster;
mod codec;
mod config;
mod errors;
mod execution;
mod interop;
mod metadata;
mod policies;
mod results;
mod session;
mod statement;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<config::cluster::ClusterConfig>()?;
    m.add_class::<config::profile::ExecutionProfile>()?;
    m.add_class::<policies::load_balancing::RoundRobinPolicy>()?;
    m.add_class::<policies::load_balancing::DCAwareRoundRobinPolicy>()?;
    m.add_class::<policies::load_balancing::RackAwareRoundRobinPolicy>()?;
    m.add_class::<policies::load_balancing::TokenAwarePolicy>()?;
    m.add_class::<policies::retry::DefaultRetry>()?;
    m.add_class::<policies::retry::FallthroughRetryPolicy>()?;
    m.add_class::<policies::retry::DowngradingConsistencyRetryPolicy>()?;
    m.add_class::<policies::retry::AsyncRetryPolicy>()?;
    m.add_class::<policies::speculative::ConstantSpeculativeExecutionPolicy>()?;
    m.add_class::<policies::speculative::PercentileSpeculativeExecutionPolicy>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<execution::metrics::SessionMetrics>()?;
    m.add_class::<statement::prepared::PreparedStatement>()?;
    m.add_class::<statement::prepared::BoundStatement>()?;
    m.add_class::<results::result_set::ResultSet>()?;
    m.add_class::<results::row::Row>()?;
    m.add_class::<results::result_set::AsyncRowIterator>()?;
    m.add_class::<results::columns::Columns>()?;
    m.add_class::<results::stream::StreamingResultSet>()?;
    m.add_class::<results::stream::PageIterator>()?;
    m.add_class::<bridge::awaitable::PendingRequest>()?;
    m.add_class::<bridge::awaitable::Ready>()?;
    m.add_class::<bridge::loop_bridge::LoopBridge>()?;
    m.add_class::<bridge::future::RequestFuture>()?;
    m.add_class::<metadata::snapshot::Metadata>()?;
    m.add_class::<metadata::snapshot::TokenMap>()?;
    m.add_class::<metadata::hosts::Host>()?;
    m.add_class::<metadata::hosts::HostEvent>()?;
    m.add_class::<metadata::schema::KeyspaceMetadata>()?;
    m.add_class::<metadata::schema::TableMetadata>()?;
    m.add_class::<metadata::schema::MaterializedViewMetadata>()?;
    m.add_class::<metadata::schema::ColumnMetadata>()?;
    m.add_class::<metadata::schema::UserTypeMetadata>()?;
    m.add_class::<metadata::events::HostEvents>()?;
    m.add_function(wrap_pyfunction!(cluster::connect, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::cluster_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::refresh_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::host_events, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::loop_bridge::_reset_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::runtime::_in_flight_requests, m)?)?;
    m.add_function(wrap_pyfunction!(codec::typespec::_serialize, m)?)?;
    m.add_function(wrap_pyfunction!(codec::typespec::_deserialize, m)?)?;
    Ok(())
}
