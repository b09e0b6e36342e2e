//! The policies a user picks under cassandra-driver's names, each wrapping the `scylla` crate's
//! own: where a request goes (`load_balancing`), whether a failed attempt is tried again
//! (`retry`), and when a slow one gets a second attempt in parallel (`speculative`).

pub(crate) mod load_balancing;
pub(crate) mod retry;
pub(crate) mod speculative;

use crate::errors::DriverError;

/// A `ConfigurationError` about a policy's argument.
fn invalid(message: String) -> DriverError {
    DriverError::Configuration(message)
}
