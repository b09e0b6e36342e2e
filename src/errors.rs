//! The one place where failures become Python exceptions.
//!
//! Everything below the `#[pymethods]` boundary reports a [`DriverError`]; `impl From<DriverError>
//! for PyErr` picks the class from `aiocql.errors` (a pure-Python hierarchy, so users can subclass,
//! pickle and construct the exceptions themselves) and fills in the server's fields.

use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};
use scylla::errors::{
    ConnectionError, ConnectionPoolError, ConnectionSetupRequestErrorKind, DbError, ExecutionError,
    MetadataError, NewSessionError, PagerExecutionError, PrepareError, RequestAttemptError,
    UseKeyspaceError,
};

/// A failure inside the driver, before it is shown to Python.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
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

    /// The driver received something it cannot decode; a bug in the driver or the server.
    #[error("{0}")]
    Protocol(String),

    /// A page was asked for after the last one.
    #[error("{0}")]
    Exhausted(&'static str),
}

/// Why a Python value cannot be bound to a CQL parameter.
///
/// `parameter` is the position (`"#0"`) or name (`"id"`) given by the caller; `column` is the bind
/// marker's name as the server reported it. The message always names the expected CQL type.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct BindError {
    pub kind: BindErrorKind,
    pub message: String,
    pub parameter: Option<String>,
    pub column: Option<String>,
    pub cql_type: Option<String>,
    pub python_type: Option<String>,
}

/// Whether the value had the wrong Python type or a value the CQL type cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindErrorKind {
    /// Maps to `aiocql.errors.ParameterTypeError` (a `TypeError`).
    Type,
    /// Maps to `aiocql.errors.ParameterValueError` (a `ValueError`).
    Value,
}

impl BindError {
    /// A statement-level problem: wrong number of parameters, unknown or missing names.
    pub fn arity(message: String) -> Self {
        BindError {
            kind: BindErrorKind::Value,
            message,
            parameter: None,
            column: None,
            cql_type: None,
            python_type: None,
        }
    }
}

pub type DriverResult<T> = Result<T, DriverError>;

/// Why one host could not be used; becomes the value in `NoHostAvailable.errors`.
#[derive(Debug, Clone, PartialEq)]
pub enum HostError {
    /// The node refused the credentials, or asked for some and none were configured.
    Authentication(String),
    /// The node could not be reached or the connection broke.
    Connection(String),
}

impl HostError {
    fn class_and_message(&self) -> (&'static str, &str) {
        match self {
            HostError::Authentication(message) => ("AuthenticationFailed", message),
            HostError::Connection(message) => ("ConnectionException", message),
        }
    }
}

/// The reason a connection's setup (STARTUP, AUTH_RESPONSE, ...) failed, when that is why a
/// session could not be created.
fn setup_failure(err: &NewSessionError) -> Option<&ConnectionSetupRequestErrorKind> {
    let NewSessionError::MetadataError(MetadataError::ConnectionPoolError(
        ConnectionPoolError::Broken {
            last_connection_error: ConnectionError::ConnectionSetupRequestError(setup),
        },
    )) = err
    else {
        return None;
    };
    Some(&setup.error)
}

/// An authentication failure, told apart from other setup failures.
fn authentication_failure(err: &NewSessionError) -> Option<String> {
    match setup_failure(err)? {
        ConnectionSetupRequestErrorKind::DbError(DbError::AuthenticationError, message) => {
            Some(format!("authentication failed: {message}"))
        }
        ConnectionSetupRequestErrorKind::MissingAuthentication => Some(
            "authentication failed: the node requires credentials; pass username= and \
             password= to AsyncCluster"
                .into(),
        ),
        ConnectionSetupRequestErrorKind::StartAuthSessionError(e)
        | ConnectionSetupRequestErrorKind::AuthChallengeEvaluationError(e)
        | ConnectionSetupRequestErrorKind::AuthFinishError(e) => {
            Some(format!("authentication failed: {e}"))
        }
        _ => None,
    }
}

impl From<ExecutionError> for DriverError {
    fn from(err: ExecutionError) -> Self {
        match err {
            ExecutionError::LastAttemptError(e) => e.into(),
            ExecutionError::PrepareError(e) => e.into(),
            ExecutionError::ConnectionPoolError(e) => e.into(),
            ExecutionError::EmptyPlan => DriverError::NoHostAvailable {
                message: "no host is available to run the request (the load-balancing plan is \
                          empty: every node is down or filtered out)"
                    .into(),
                errors: Vec::new(),
            },
            ExecutionError::RequestTimeout(timeout) => DriverError::OperationTimedOut {
                what: "request",
                timeout,
            },
            ExecutionError::UseKeyspaceError(e) => e.into(),
            ExecutionError::BadQuery(e) => DriverError::Bind(BindError::arity(e.to_string())),
            other => DriverError::Connection(other.to_string()),
        }
    }
}

impl From<RequestAttemptError> for DriverError {
    fn from(err: RequestAttemptError) -> Self {
        match err {
            RequestAttemptError::DbError(error, message) => DriverError::Server { error, message },
            RequestAttemptError::BrokenConnectionError(e) => DriverError::Connection(format!(
                "connection broken while the request was in flight: {e}"
            )),
            RequestAttemptError::UnableToAllocStreamId => DriverError::Connection(
                "every stream id of the connection is in use; the request was not sent".into(),
            ),
            other => DriverError::Protocol(other.to_string()),
        }
    }
}

impl From<PrepareError> for DriverError {
    fn from(err: PrepareError) -> Self {
        match err {
            PrepareError::AllAttemptsFailed { first_attempt } => first_attempt.into(),
            PrepareError::ConnectionPoolError(e) => e.into(),
            other => DriverError::Protocol(other.to_string()),
        }
    }
}

impl From<ConnectionPoolError> for DriverError {
    fn from(err: ConnectionPoolError) -> Self {
        DriverError::NoHostAvailable {
            message: format!("no connection to the chosen node is available: {err}"),
            errors: Vec::new(),
        }
    }
}

impl From<UseKeyspaceError> for DriverError {
    fn from(err: UseKeyspaceError) -> Self {
        match err {
            UseKeyspaceError::RequestError(e) => e.into(),
            UseKeyspaceError::BadKeyspaceName(e) => {
                DriverError::Configuration(format!("invalid keyspace name: {e}"))
            }
            UseKeyspaceError::RequestTimeout(timeout) => DriverError::OperationTimedOut {
                what: "USE <keyspace>",
                timeout,
            },
            other => DriverError::Connection(other.to_string()),
        }
    }
}

impl From<PagerExecutionError> for DriverError {
    fn from(err: PagerExecutionError) -> Self {
        match err {
            PagerExecutionError::PrepareError(e) => e.into(),
            other => DriverError::Protocol(other.to_string()),
        }
    }
}

impl DriverError {
    /// Classifies a failed `Session::connect` for the given contact points.
    pub fn from_new_session(err: NewSessionError, contact_points: &[String]) -> Self {
        let (message, reason) = match &err {
            NewSessionError::FailedToResolveAnyHostname(hosts) => (
                format!("could not resolve any contact point: {}", hosts.join(", ")),
                HostError::Connection("hostname resolution failed".to_string()),
            ),
            NewSessionError::EmptyKnownNodesList => {
                return DriverError::Configuration("contact_points is empty".into())
            }
            NewSessionError::UseKeyspaceError(e) => return e.clone().into(),
            NewSessionError::IllegalConfig(msg) => {
                return DriverError::Configuration(msg.to_string())
            }
            other => match authentication_failure(other) {
                Some(reason) => (
                    format!(
                        "unable to connect to any contact point ({}): {reason}",
                        contact_points.join(", ")
                    ),
                    HostError::Authentication(reason),
                ),
                None => (
                    format!(
                        "unable to connect to any contact point ({}): {other}",
                        contact_points.join(", ")
                    ),
                    HostError::Connection(other.to_string()),
                ),
            },
        };
        DriverError::NoHostAvailable {
            message,
            errors: contact_points
                .iter()
                .map(|host| (host.clone(), reason.clone()))
                .collect(),
        }
    }
}

/// Name of the `aiocql.errors` class for a server error, and the server's fields for it.
fn server_error_class(error: &DbError) -> &'static str {
    match error {
        DbError::SyntaxError => "SyntaxException",
        DbError::Invalid => "InvalidRequest",
        DbError::AlreadyExists { .. } => "AlreadyExists",
        DbError::FunctionFailure { .. } => "FunctionFailure",
        DbError::AuthenticationError => "AuthenticationFailed",
        DbError::Unauthorized => "Unauthorized",
        DbError::ConfigError => "ConfigurationException",
        DbError::Unavailable { .. } => "Unavailable",
        DbError::Overloaded => "OverloadedErrorMessage",
        DbError::IsBootstrapping => "IsBootstrappingErrorMessage",
        DbError::TruncateError => "TruncateError",
        DbError::ReadTimeout { .. } => "ReadTimeout",
        DbError::WriteTimeout { .. } => "WriteTimeout",
        DbError::ReadFailure { .. } => "ReadFailure",
        DbError::WriteFailure { .. } => "WriteFailure",
        DbError::Unprepared { .. } => "UnpreparedStatement",
        DbError::ServerError => "ServerError",
        DbError::ProtocolError => "ProtocolException",
        _ => "ServerError",
    }
}

fn server_error_fields<'py>(py: Python<'py>, error: &DbError) -> PyResult<Bound<'py, PyDict>> {
    let kw = PyDict::new(py);
    match error {
        DbError::AlreadyExists { keyspace, table } => {
            kw.set_item("keyspace", keyspace)?;
            kw.set_item("table", if table.is_empty() { None } else { Some(table) })?;
        }
        DbError::FunctionFailure {
            keyspace,
            function,
            arg_types,
        } => {
            kw.set_item("keyspace", keyspace)?;
            kw.set_item("function", function)?;
            kw.set_item("arg_types", arg_types.clone())?;
        }
        DbError::Unavailable {
            consistency,
            required,
            alive,
        } => {
            kw.set_item("consistency", consistency_name(*consistency))?;
            kw.set_item("required_replicas", required)?;
            kw.set_item("alive_replicas", alive)?;
        }
        DbError::ReadTimeout {
            consistency,
            received,
            required,
            data_present,
        } => {
            kw.set_item("consistency", consistency_name(*consistency))?;
            kw.set_item("received_responses", received)?;
            kw.set_item("required_responses", required)?;
            kw.set_item("data_retrieved", data_present)?;
        }
        DbError::WriteTimeout {
            consistency,
            received,
            required,
            write_type,
        } => {
            kw.set_item("consistency", consistency_name(*consistency))?;
            kw.set_item("received_responses", received)?;
            kw.set_item("required_responses", required)?;
            kw.set_item("write_type", write_type.as_str())?;
        }
        DbError::ReadFailure {
            consistency,
            received,
            required,
            numfailures,
            data_present,
        } => {
            kw.set_item("consistency", consistency_name(*consistency))?;
            kw.set_item("received_responses", received)?;
            kw.set_item("required_responses", required)?;
            kw.set_item("failures", numfailures)?;
            kw.set_item("data_retrieved", data_present)?;
        }
        DbError::WriteFailure {
            consistency,
            received,
            required,
            numfailures,
            write_type,
        } => {
            kw.set_item("consistency", consistency_name(*consistency))?;
            kw.set_item("received_responses", received)?;
            kw.set_item("required_responses", required)?;
            kw.set_item("failures", numfailures)?;
            kw.set_item("write_type", write_type.as_str())?;
        }
        _ => {}
    }
    Ok(kw)
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Looks up an exception class of `aiocql.errors` by name.
pub fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = ERRORS_MODULE.get_or_try_init(py, || {
        PyModule::import(py, "aiocql.errors").map(Bound::unbind)
    })?;
    module.bind(py).getattr(name)
}

fn instantiate(
    py: Python<'_>,
    class: &str,
    message: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyErr {
    match error_class(py, class).and_then(|cls| cls.call((message,), kwargs)) {
        Ok(exc) => PyErr::from_value(exc),
        // The errors module itself failed to import: still raise something truthful.
        Err(import_error) => import_error,
    }
}

impl DriverError {
    /// Converts to the Python exception; needs the interpreter to build the instance.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            DriverError::Server { error, message } => {
                let class = server_error_class(&error);
                match server_error_fields(py, &error) {
                    Ok(kw) => {
                        let code = error.code(&Default::default());
                        let _ = kw.set_item("code", code);
                        instantiate(py, class, &message, Some(&kw))
                    }
                    Err(e) => e,
                }
            }
            DriverError::NoHostAvailable { message, errors } => {
                let kw = PyDict::new(py);
                let per_host = PyDict::new(py);
                let mut first_cause: Option<PyErr> = None;
                for (host, reason) in errors {
                    let (class, text) = reason.class_and_message();
                    let cause = instantiate(py, class, text, None);
                    let _ = per_host.set_item(host, cause.value(py));
                    first_cause.get_or_insert(cause);
                }
                let _ = kw.set_item("errors", per_host);
                let err = instantiate(py, "NoHostAvailable", &message, Some(&kw));
                // The traceback shows the first host's reason as the cause.
                err.set_cause(py, first_cause);
                err
            }
            e @ DriverError::OperationTimedOut { .. } => {
                instantiate(py, "OperationTimedOut", &e.to_string(), None)
            }
            DriverError::Closed(what) => instantiate(py, "ConnectionClosed", what, None),
            DriverError::Connection(message) => {
                instantiate(py, "ConnectionException", &message, None)
            }
            DriverError::Configuration(message) => {
                instantiate(py, "ConfigurationError", &message, None)
            }
            DriverError::Protocol(message) => instantiate(py, "ProtocolError", &message, None),
            DriverError::Exhausted(message) => instantiate(py, "QueryExhausted", message, None),
            DriverError::Bind(bind) => bind.into_pyerr(py),
        }
    }
}

impl BindError {
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let class = match self.kind {
            BindErrorKind::Type => "ParameterTypeError",
            BindErrorKind::Value => "ParameterValueError",
        };
        let kw = PyDict::new(py);
        let _ = kw.set_item("parameter", self.parameter);
        let _ = kw.set_item("column", self.column);
        let _ = kw.set_item("cql_type", self.cql_type);
        let _ = kw.set_item("python_type", self.python_type);
        instantiate(py, class, &self.message, Some(&kw))
    }
}

impl From<DriverError> for PyErr {
    fn from(err: DriverError) -> PyErr {
        Python::attach(|py| err.into_pyerr(py))
    }
}

/// A Python-side misuse that is not a driver failure (wrong argument type, for instance).
pub fn type_error(message: impl Into<String>) -> PyErr {
    PyTypeError::new_err(message.into())
}

pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

pub fn runtime_error(message: impl Into<String>) -> PyErr {
    PyRuntimeError::new_err(message.into())
}

/// The CQL name of a consistency level (`LOCAL_QUORUM`), as cqlsh and cassandra-driver print it.
fn consistency_name(consistency: scylla::statement::Consistency) -> &'static str {
    use scylla::statement::Consistency as C;
    match consistency {
        C::Any => "ANY",
        C::One => "ONE",
        C::Two => "TWO",
        C::Three => "THREE",
        C::Quorum => "QUORUM",
        C::All => "ALL",
        C::LocalQuorum => "LOCAL_QUORUM",
        C::EachQuorum => "EACH_QUORUM",
        C::LocalOne => "LOCAL_ONE",
        C::Serial => "SERIAL",
        C::LocalSerial => "LOCAL_SERIAL",
    }
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

    #[test]
    fn every_server_error_maps_to_a_distinct_class() {
        use scylla::errors::WriteType;
        use scylla::frame::types::Consistency;
        let errors = [
            DbError::SyntaxError,
            DbError::Invalid,
            DbError::AlreadyExists {
                keyspace: "ks".into(),
                table: "t".into(),
            },
            DbError::FunctionFailure {
                keyspace: "ks".into(),
                function: "f".into(),
                arg_types: vec!["int".into()],
            },
            DbError::AuthenticationError,
            DbError::Unauthorized,
            DbError::ConfigError,
            DbError::Unavailable {
                consistency: Consistency::One,
                required: 1,
                alive: 0,
            },
            DbError::Overloaded,
            DbError::IsBootstrapping,
            DbError::TruncateError,
            DbError::ReadTimeout {
                consistency: Consistency::Quorum,
                received: 1,
                required: 2,
                data_present: false,
            },
            DbError::WriteTimeout {
                consistency: Consistency::Quorum,
                received: 1,
                required: 2,
                write_type: WriteType::Simple,
            },
            DbError::ReadFailure {
                consistency: Consistency::Quorum,
                received: 1,
                required: 2,
                numfailures: 1,
                data_present: false,
            },
            DbError::WriteFailure {
                consistency: Consistency::Quorum,
                received: 1,
                required: 2,
                numfailures: 1,
                write_type: WriteType::Batch,
            },
            DbError::ServerError,
            DbError::ProtocolError,
        ];
        let classes: Vec<_> = errors.iter().map(server_error_class).collect();
        let mut unique = classes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), classes.len(), "{classes:?}");
    }

    #[test]
    fn unreachable_contact_points_become_no_host_available_per_host() {
        let err = DriverError::from_new_session(
            NewSessionError::FailedToResolveAnyHostname(vec!["nowhere.invalid".into()]),
            &["nowhere.invalid:9042".into()],
        );
        match err {
            DriverError::NoHostAvailable { errors, .. } => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].0, "nowhere.invalid:9042");
                assert!(matches!(errors[0].1, HostError::Connection(_)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
