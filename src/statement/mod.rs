//! Statements, the `scylla` crate's `statement` module for Python objects: options applied to any
//! statement kind, cassandra-driver placeholders, binding, prepared and bound statements,
//! batches, and [`QueryArg`](query::QueryArg), the parsed `query` argument of every call.
//!
//! Modules, lowest first: `options`, `placeholders`, `bind`, `prepared`, `batch`, `query`.

pub(crate) mod batch;
pub(crate) mod bind;
pub(crate) mod options;
pub(crate) mod placeholders;
pub(crate) mod prepared;
pub(crate) mod query;
