//! The `scylla` crate's errors, classified into [`DriverError`]s.

use scylla::errors::{
    ConnectionError, ConnectionPoolError, ConnectionSetupRequestErrorKind, DbError, ExecutionError,
    MetadataError, MetadataFetchErrorKind, NewSessionError, PagerExecutionError, PrepareError,
    RequestAttemptError, SchemaAgreementError, TracingError, UseKeyspaceError,
};

use super::{BindError, DriverError, HostError};

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

impl From<TracingError> for DriverError {
    fn from(err: TracingError) -> Self {
        match err {
            TracingError::ExecutionError(e) => e.into(),
            TracingError::EmptyResults => DriverError::TraceUnavailable(
                "the trace is not complete yet on the server (it is written asynchronously): \
                 call get_query_trace() again later"
                    .into(),
            ),
            other => DriverError::TraceUnavailable(format!("cannot read the trace: {other}")),
        }
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
            // The statement itself succeeded: only the wait for the other nodes ran out.
            ExecutionError::SchemaAgreementError(SchemaAgreementError::Timeout(timeout)) => {
                DriverError::SchemaAgreementTimeout {
                    prefix: "the schema change was applied, but ",
                    timeout,
                }
            }
            ExecutionError::SchemaAgreementError(e) => e.into(),
            ExecutionError::MetadataError(e) => e.into(),
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

impl From<SchemaAgreementError> for DriverError {
    fn from(err: SchemaAgreementError) -> Self {
        match err {
            SchemaAgreementError::Timeout(timeout) => DriverError::SchemaAgreementTimeout {
                prefix: "",
                timeout,
            },
            SchemaAgreementError::ConnectionPoolError(e) => e.into(),
            SchemaAgreementError::RequestError(e) => e.into(),
            SchemaAgreementError::PrepareError(e) => e.into(),
            other => {
                DriverError::Connection(format!("cannot read the nodes' schema versions: {other}"))
            }
        }
    }
}

impl From<MetadataError> for DriverError {
    fn from(err: MetadataError) -> Self {
        match err {
            MetadataError::ConnectionPoolError(e) => DriverError::NoHostAvailable {
                message: format!("cannot read the cluster's metadata: no control connection: {e}"),
                errors: Vec::new(),
            },
            MetadataError::FetchError(fetch) => match fetch.error {
                MetadataFetchErrorKind::PrepareError(e) => e.into(),
                MetadataFetchErrorKind::NextRowError(e) => DriverError::Connection(format!(
                    "cannot read the cluster's metadata from {}: {e}",
                    fetch.table
                )),
                other => DriverError::Protocol(format!(
                    "cannot read the cluster's metadata from {}: {other}",
                    fetch.table
                )),
            },
            other => DriverError::Protocol(format!("cannot read the cluster's metadata: {other}")),
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
    pub(crate) fn from_new_session(err: NewSessionError, contact_points: &[String]) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_schema_change_whose_agreement_timed_out_says_it_was_applied() {
        let timeout = std::time::Duration::from_secs(10);
        let after_ddl = DriverError::from(ExecutionError::SchemaAgreementError(
            SchemaAgreementError::Timeout(timeout),
        ));
        assert!(matches!(
            after_ddl,
            DriverError::SchemaAgreementTimeout { .. }
        ));
        assert_eq!(
            after_ddl.to_string(),
            "the schema change was applied, but the nodes did not agree on one schema version \
             within 10.000 s"
        );
        let waiting = DriverError::from(SchemaAgreementError::Timeout(timeout));
        assert_eq!(
            waiting.to_string(),
            "the nodes did not agree on one schema version within 10.000 s"
        );
    }
}
