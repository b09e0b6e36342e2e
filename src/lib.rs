//! aiocql's native core: a Cassandra/ScyllaDB driver for asyncio on the `scylla` crate.
//!
//! Python sees this crate as `aiocql._native`; the public API lives in `python/aiocql`.

// Bind errors carry the parameter, column, CQL type and Python type that users need in the
// message (about 130 bytes). They are built only on the failure path, where the size of the
// Result is irrelevant; boxing them would only add an allocation.
#![allow(clippy::result_large_err)]

/// mimalloc instead of the system allocator, as pydantic-core does. A request allocates on the
/// asyncio thread and frees on the I/O thread (and back); glibc's malloc took ~11% of a point
/// read's CPU in profiles, much of it in cross-thread frees and arena consolidation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod batch;
pub mod cluster;
pub mod errors;
pub mod options;
pub mod paging;
pub mod placeholders;
pub mod result;
pub mod runtime;
pub mod session;
pub mod statement;
pub mod stream;
pub mod types;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<cluster::ClusterConfig>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<statement::PreparedStatement>()?;
    m.add_class::<statement::BoundStatement>()?;
    m.add_class::<result::ResultSet>()?;
    m.add_class::<result::Row>()?;
    m.add_class::<result::AsyncRowIterator>()?;
    m.add_class::<result::Columns>()?;
    m.add_class::<stream::StreamingResultSet>()?;
    m.add_class::<stream::PageIterator>()?;
    m.add_class::<runtime::PendingRequest>()?;
    m.add_class::<runtime::Ready>()?;
    m.add_class::<runtime::LoopBridge>()?;
    m.add_class::<runtime::RequestFuture>()?;
    m.add_function(wrap_pyfunction!(cluster::connect, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_reset_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_in_flight_requests, m)?)?;
    m.add_function(wrap_pyfunction!(types::typespec::_serialize, m)?)?;
    m.add_function(wrap_pyfunction!(types::typespec::_deserialize, m)?)?;
    Ok(())
}
