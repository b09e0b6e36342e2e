//! Interop, lowest layer beside `errors`: what the rest of the core needs from Python itself.
//!
//! * `imports`: every class and function the core looks up in Python, imported once;
//! * `args`: readers of call arguments (timeouts, page sizes, paging states, row factories,
//!   keyspace names, typed attributes of config objects), each refusing bad input with a
//!   `TypeError` or `ValueError` that names the argument;
//! * `names`: how a Python value is named in messages;
//! * `sync`: locks that survive a panic in another thread.

pub(crate) mod args;
pub(crate) mod imports;
pub(crate) mod names;
pub(crate) mod sync;
