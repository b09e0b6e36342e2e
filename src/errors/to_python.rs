//! The one place where failures become Python exceptions.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};
use scylla::errors::DbError;
use scylla::statement::Consistency;

use super::{BindError, BindErrorKind, DriverError, HostError};

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

fn server_error_fields(kw: &Bound<'_, PyDict>, error: &DbError) -> PyResult<()> {
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
    Ok(())
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// An exception class of `aiocql.errors`, by name.
fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = ERRORS_MODULE.get_or_try_init(py, || {
        PyModule::import(py, "aiocql.errors").map(Bound::unbind)
    })?;
    module.bind(py).getattr(name)
}

/// `aiocql.errors.<class>(message, **fields)`; `fields` is built first, and a failure to build
/// it (or to import the class) is raised instead, so nothing is silently dropped.
fn instantiate(
    py: Python<'_>,
    class: &str,
    message: &str,
    fields: impl FnOnce(&Bound<'_, PyDict>) -> PyResult<()>,
) -> PyErr {
    let made = (|| {
        let kwargs = PyDict::new(py);
        fields(&kwargs)?;
        error_class(py, class)?.call((message,), Some(&kwargs))
    })();
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(failure) => failure,
    }
}

fn no_fields(_: &Bound<'_, PyDict>) -> PyResult<()> {
    Ok(())
}

impl HostError {
    fn class_and_message(&self) -> (&'static str, &str) {
        match self {
            HostError::Authentication(message) => ("AuthenticationFailed", message),
            HostError::Connection(message) => ("ConnectionException", message),
        }
    }
}

impl DriverError {
    /// Converts to the Python exception; needs the interpreter to build the instance.
    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            DriverError::Server { error, message } => {
                instantiate(py, server_error_class(&error), &message, |kw| {
                    server_error_fields(kw, &error)?;
                    kw.set_item("code", error.code(&Default::default()))
                })
            }
            DriverError::NoHostAvailable { message, errors } => {
                let causes: Vec<(String, PyErr)> = errors
                    .into_iter()
                    .map(|(host, reason)| {
                        let (class, text) = reason.class_and_message();
                        let cause = instantiate(py, class, text, no_fields);
                        (host, cause)
                    })
                    .collect();
                let err = instantiate(py, "NoHostAvailable", &message, |kw| {
                    let per_host = PyDict::new(py);
                    for (host, cause) in &causes {
                        per_host.set_item(host, cause.value(py))?;
                    }
                    kw.set_item("errors", per_host)
                });
                // The traceback shows the first host's reason as the cause.
                err.set_cause(py, causes.into_iter().next().map(|(_, cause)| cause));
                err
            }
            e @ DriverError::OperationTimedOut { .. } => {
                instantiate(py, "OperationTimedOut", &e.to_string(), no_fields)
            }
            e @ DriverError::SchemaAgreementTimeout { .. } => {
                instantiate(py, "SchemaAgreementTimeout", &e.to_string(), no_fields)
            }
            DriverError::Closed(what) => instantiate(py, "ConnectionClosed", what, no_fields),
            DriverError::Connection(message) => {
                instantiate(py, "ConnectionException", &message, no_fields)
            }
            DriverError::Configuration(message) => {
                instantiate(py, "ConfigurationError", &message, no_fields)
            }
            DriverError::Unsupported(message) => {
                instantiate(py, "UnsupportedOperation", &message, no_fields)
            }
            DriverError::Protocol(message) => instantiate(py, "ProtocolError", &message, no_fields),
            DriverError::TraceUnavailable(message) => {
                instantiate(py, "TraceUnavailable", &message, no_fields)
            }
            DriverError::Exhausted(message) => {
                instantiate(py, "QueryExhausted", message, no_fields)
            }
            DriverError::Bind(bind) => bind.into_pyerr(py),
        }
    }
}

impl BindError {
    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let class = match self.kind {
            BindErrorKind::Type => "ParameterTypeError",
            BindErrorKind::Value => "ParameterValueError",
        };
        instantiate(py, class, &self.message, |kw| {
            kw.set_item("parameter", self.parameter)?;
            kw.set_item("column", self.column)?;
            kw.set_item("cql_type", self.cql_type)?;
            kw.set_item("python_type", self.python_type)
        })
    }
}

impl From<DriverError> for PyErr {
    fn from(err: DriverError) -> PyErr {
        Python::attach(|py| err.into_pyerr(py))
    }
}

impl From<BindError> for PyErr {
    fn from(err: BindError) -> PyErr {
        Python::attach(|py| err.into_pyerr(py))
    }
}

/// A caller passed an argument of the wrong type.
pub(crate) fn type_error(message: impl Into<String>) -> PyErr {
    PyTypeError::new_err(message.into())
}

/// A caller passed an argument of the right type with a value that cannot be used.
pub(crate) fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// Misuse of an object's state (awaiting twice, a value the call does not have).
pub(crate) fn runtime_error(message: impl Into<String>) -> PyErr {
    PyRuntimeError::new_err(message.into())
}

/// The CQL name of a consistency level (`LOCAL_QUORUM`), as cqlsh and cassandra-driver print it:
/// the crate's variant name (`LocalQuorum`) in upper snake case.
fn consistency_name(consistency: Consistency) -> String {
    let mut name = String::new();
    for (i, c) in format!("{consistency:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_error_maps_to_a_distinct_class() {
        use scylla::errors::WriteType;
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
    fn consistency_names_are_the_cql_spellings() {
        let names: Vec<String> = [
            Consistency::Any,
            Consistency::One,
            Consistency::Two,
            Consistency::Three,
            Consistency::Quorum,
            Consistency::All,
            Consistency::LocalQuorum,
            Consistency::EachQuorum,
            Consistency::Serial,
            Consistency::LocalSerial,
            Consistency::LocalOne,
        ]
        .into_iter()
        .map(consistency_name)
        .collect();
        assert_eq!(
            names,
            [
                "ANY",
                "ONE",
                "TWO",
                "THREE",
                "QUORUM",
                "ALL",
                "LOCAL_QUORUM",
                "EACH_QUORUM",
                "SERIAL",
                "LOCAL_SERIAL",
                "LOCAL_ONE"
            ]
        );
    }
}
