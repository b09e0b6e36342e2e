//! Errors, lowest layer: every failure below the `#[pymethods]` boundary is a [`DriverError`]
//! (or a [`BindError`] for a value that does not fit its bind marker).
//!
//! `from_scylla` classifies the `scylla` crate's errors; `to_python` is the one place where any
//! failure becomes a Python exception: the class from `aiocql.errors` (a pure-Python hierarchy,
//! so users can subclass, pickle and construct the exceptions themselves) with the server's
//! fields, or a builtin `TypeError`/`ValueError`/`RuntimeError` for misuse of an argument.

mod from_scylla;
mod to_python;

use std::time::Duration;

use scylla::errors::DbError;

pub(crate) use to_python::{runtime_error, type_error, value_error};

/// A failure inside the driver, before it is shown to Python.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DriverError {
    /// The server answered with an ERROR frame.
    #[error("{message}")]
    Server { error: DbError, message: String },

    /// No node could take the request (unreachable, refused, pool empty).
    #[error("{message}")]
    NoHostAvailable {
        message: String,
        /// `(host, reason)` pairs when the failure is known per host.
        errors: Vec<(String, HostError)>,
    },

    /// The client gave up waiting; the request may or may not have been applied.
    #[error("{what} timed out after {:.3} s", timeout.as_secs_f64())]
    OperationTimedOut {
        what: &'static str,
        timeout: Duration,
    },

    /// The nodes did not agree on one schema version within `timeout`; `prefix` says what
    /// happened before (a schema change was applied), or is empty.
    #[error("{prefix}the nodes did not agree on one schema version within {:.3} s", timeout.as_secs_f64())]
    SchemaAgreementTimeout {
        prefix: &'static str,
        timeout: Duration,
    },

    /// The session or cluster was closed before or while the call ran.
    #[error("{0}")]
    Closed(&'static str),

    /// A connection broke or could not be used while the request was in flight.
    #[error("{0}")]
    Connection(String),

    /// A value or parameter could not be sent as the CQL type the statement expects.
    #[error("{0}")]
    Bind(#[from] BindError),

    /// Invalid configuration given by the user (before anything reached the network).
    #[error("{0}")]
    Configuration(String),

    /// An argument or operation aiocql cannot honour; the message says what to do instead.
    #[error("{0}")]
    Unsupported(String),

    /// The driver received something it cannot decode; a bug in the driver or the server.
    #[error("{0}")]
    Protocol(String),

    /// A request's trace could not be read (not written yet, or its tables failed).
    #[error("{0}")]
    TraceUnavailable(String),

    /// A page was asked for after the last one.
    #[error("{0}")]
    Exhausted(&'static str),
}

pub(crate) type DriverResult<T> = Result<T, DriverError>;

/// Why a Python value cannot be bound to a CQL parameter.
///
/// `parameter` is the position (`"#0"`) or name (`"id"`) given by the caller; `column` is the bind
/// marker's name as the server reported it. The message always names the expected CQL type.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub(crate) struct BindError {
    pub kind: BindErrorKind,
    pub message: String,
    pub parameter: Option<String>,
    pub column: Option<String>,
    pub cql_type: Option<String>,
    pub python_type: Option<String>,
}

/// Whether the value had the wrong Python type or a value the CQL type cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindErrorKind {
    /// Maps to `aiocql.errors.ParameterTypeError` (a `TypeError`).
    Type,
    /// Maps to `aiocql.errors.ParameterValueError` (a `ValueError`).
    Value,
}

impl BindError {
    /// A statement-level problem: wrong number of parameters, unknown or missing names.
    pub(crate) fn arity(message: String) -> Self {
        BindError {
            kind: BindErrorKind::Value,
            message,
            parameter: None,
            column: None,
            cql_type: None,
            python_type: None,
        }
    }

    /// The parameters as a whole have the wrong Python type (not a sequence or a mapping).
    pub(crate) fn parameters_type(message: String, python_type: String) -> Self {
        BindError {
            kind: BindErrorKind::Type,
            message,
            parameter: None,
            column: None,
            cql_type: None,
            python_type: Some(python_type),
        }
    }
}

/// Why one host could not be used; becomes the value in `NoHostAvailable.errors`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HostError {
    /// The node refused the credentials, or asked for some and none were configured.
    Authentication(String),
    /// The node could not be reached or the connection broke.
    Connection(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_message_names_the_operation_and_duration() {
        let err = DriverError::OperationTimedOut {
            what: "request",
            timeout: Duration::from_millis(1500),
        };
        assert_eq!(err.to_string(), "request timed out after 1.500 s");
    }
}
