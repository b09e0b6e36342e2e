//! Configuration read from Python objects, validated once: the cluster's settings (and how a
//! session is built from them, the `scylla` crate's `SessionBuilder` and `ExecutionProfile`),
//! and a stream's `StreamConfig`. Load-balancing, retry and speculative-execution policies, TLS
//! and authentication belong here too.

pub(crate) mod cluster;
pub(crate) mod stream;
