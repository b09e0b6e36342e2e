//! Results, the `scylla` crate's `response` for Python: the columns of a result, its rows, result
//! sets (all rows, or one page with the way to the next), the consumer side of a stream, and the
//! context that says how rows are built.
//!
//! Modules, lowest first: `columns`, `row`, `result_set`, `context`, `stream`.

pub(crate) mod columns;
pub(crate) mod context;
pub(crate) mod result_set;
pub(crate) mod row;
pub(crate) mod stream;
pub(crate) mod trace;
