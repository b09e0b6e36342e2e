//! Configuration read from Python objects, validated once: the cluster's settings (and how a
//! session is built from them, the `scylla` crate's `SessionBuilder` and `ExecutionProfile`),
//! execution profiles (`policies` holds the policies they name), and a stream's
//! `StreamConfig`. TLS belongs here too.

pub(crate) mod cluster;
pub(crate) mod profile;
pub(crate) mod stream;
pub(crate) mod tls;
