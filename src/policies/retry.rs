//! Retry policies: after an attempt fails, whether to try again, on which node, at which
//! consistency. cassandra-driver's three are the crate's own policies; async-cassandra's
//! `AsyncRetryPolicy` is a bounded version of the same decisions (docs/configuration.md has the
//! table of every decision).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use scylla::errors::{DbError, RequestAttemptError, WriteType};
use scylla::policies::retry::{
    DefaultRetryPolicy, DowngradingConsistencyRetryPolicy as CrateDowngrading,
    FallthroughRetryPolicy as CrateFallthrough, RequestInfo, RetryDecision,
    RetryPolicy as CrateRetryPolicy, RetrySession,
};
use scylla::statement::Consistency;

use super::invalid;
use crate::errors::DriverResult;
use crate::interop::names::describe;

/// cassandra-driver's default decisions (the crate's `DefaultRetryPolicy`): at most one retry
/// per error kind. An attempt that may have been applied (a broken connection, an overloaded or
/// failing coordinator) is retried on the next node only for idempotent statements; one that
/// was refused before any replica saw it (Unavailable, a bootstrapping node) is retried on the
/// next node whatever the statement; a read that timed out with enough answers but no data is
/// retried once on the same node; a write that timed out only for an idempotent batch-log write.
///
///     cluster = AsyncCluster(default_retry_policy=RetryPolicy())
#[pyclass(module = "aiocql.policies", name = "RetryPolicy", frozen)]
pub(crate) struct DefaultRetry {
    policy: Arc<dyn CrateRetryPolicy>,
}

#[pymethods]
impl DefaultRetry {
    #[new]
    fn new() -> Self {
        DefaultRetry {
            policy: Arc::new(DefaultRetryPolicy::new()),
        }
    }

    fn __repr__(&self) -> String {
        "RetryPolicy()".into()
    }
}

/// Never retries: every error reaches the caller as it happened.
///
///     session_profile = ExecutionProfile(retry_policy=FallthroughRetryPolicy())
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct FallthroughRetryPolicy {
    policy: Arc<dyn CrateRetryPolicy>,
}

#[pymethods]
impl FallthroughRetryPolicy {
    #[new]
    fn new() -> Self {
        FallthroughRetryPolicy {
            policy: Arc::new(CrateFallthrough::new()),
        }
    }

    fn __repr__(&self) -> String {
        "FallthroughRetryPolicy()".into()
    }
}

/// cassandra-driver's `DowngradingConsistencyRetryPolicy`: when too few replicas answer, retries
/// once at the consistency they can still reach (reads; idempotent writes), so that a request
/// succeeds with weaker guarantees instead of failing. Use it only where that trade is sound.
///
///     profile = ExecutionProfile(retry_policy=DowngradingConsistencyRetryPolicy())
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct DowngradingConsistencyRetryPolicy {
    policy: Arc<dyn CrateRetryPolicy>,
}

#[pymethods]
impl DowngradingConsistencyRetryPolicy {
    #[new]
    fn new() -> Self {
        DowngradingConsistencyRetryPolicy {
            policy: Arc::new(CrateDowngrading::new()),
        }
    }

    fn __repr__(&self) -> String {
        "DowngradingConsistencyRetryPolicy()".into()
    }
}

/// async-cassandra's retry policy: up to `max_retries` retries of one request. A read timeout is
/// retried on the same node when data came back or enough replicas answered; a write timeout
/// only for an idempotent statement whose write was SIMPLE, BATCH or UNLOGGED_BATCH; Unavailable
/// first on the next node, then on the same one; a broken connection or an overloaded or failing
/// coordinator on the next node for idempotent statements; a bootstrapping node on the next
/// node. Serial (LWT) requests are never retried.
///
/// Raises `ConfigurationError` if `max_retries` is not an int from 0 to 100.
///
///     cluster = AsyncCluster(retry_policy=AsyncRetryPolicy(max_retries=3))
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct AsyncRetryPolicy {
    max_retries: u32,
    policy: Arc<dyn CrateRetryPolicy>,
}

/// The most retries `AsyncRetryPolicy` accepts.
const MAX_RETRIES: i64 = 100;

#[pymethods]
impl AsyncRetryPolicy {
    #[new]
    #[pyo3(signature = (max_retries = None))]
    fn new(max_retries: Option<Bound<'_, PyAny>>) -> DriverResult<Self> {
        let max_retries = match max_retries {
            None => 3,
            Some(value) => (!value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>())
                .then(|| value.extract::<i64>().ok())
                .flatten()
                .filter(|n| (0..=MAX_RETRIES).contains(n))
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "max_retries must be an int from 0 to {MAX_RETRIES}, got {}",
                        describe(&value)
                    ))
                })?,
        };
        Ok(AsyncRetryPolicy {
            max_retries,
            policy: Arc::new(BoundedRetryPolicy { max_retries }),
        })
    }

    /// Retries of one request, at most.
    #[getter]
    fn max_retries(&self) -> u32 {
        self.max_retries
    }

    fn __repr__(&self) -> String {
        format!("AsyncRetryPolicy(max_retries={})", self.max_retries)
    }
}

/// The crate's policy behind a Python retry policy object; `name` is the argument, for errors.
pub(crate) fn retry_policy(
    value: &Bound<'_, PyAny>,
    name: &str,
) -> DriverResult<Arc<dyn CrateRetryPolicy>> {
    if let Ok(policy) = value.cast::<DefaultRetry>() {
        return Ok(policy.get().policy.clone());
    }
    if let Ok(policy) = value.cast::<FallthroughRetryPolicy>() {
        return Ok(policy.get().policy.clone());
    }
    if let Ok(policy) = value.cast::<DowngradingConsistencyRetryPolicy>() {
        return Ok(policy.get().policy.clone());
    }
    if let Ok(policy) = value.cast::<AsyncRetryPolicy>() {
        return Ok(policy.get().policy.clone());
    }
    Err(invalid(format!(
        "{name} must be RetryPolicy(), FallthroughRetryPolicy(), \
         DowngradingConsistencyRetryPolicy() or AsyncRetryPolicy(max_retries), got {}",
        describe(value)
    )))
}

/// The crate's default policy, used when none is given.
pub(crate) fn default_retry_policy() -> Arc<dyn CrateRetryPolicy> {
    Arc::new(DefaultRetryPolicy::new())
}

/// `AsyncRetryPolicy`'s decisions, on the crate's retry traits.
#[derive(Debug)]
struct BoundedRetryPolicy {
    max_retries: u32,
}

impl CrateRetryPolicy for BoundedRetryPolicy {
    fn new_session(&self) -> Box<dyn RetrySession> {
        Box::new(BoundedRetrySession {
            max_retries: self.max_retries,
            retries: 0,
        })
    }
}

struct BoundedRetrySession {
    max_retries: u32,
    retries: u32,
}

impl BoundedRetrySession {
    /// The decision for this attempt, counting it if it is a retry.
    fn decide(
        &mut self,
        error: &RequestAttemptError,
        idempotent: bool,
        consistency: Consistency,
    ) -> RetryDecision {
        let decision = bounded_decision(
            error,
            idempotent,
            consistency,
            self.retries,
            self.max_retries,
        );
        if decision != RetryDecision::DontRetry {
            self.retries += 1;
        }
        decision
    }
}

impl RetrySession for BoundedRetrySession {
    fn decide_should_retry(&mut self, request: RequestInfo) -> RetryDecision {
        self.decide(request.error, request.is_idempotent, request.consistency)
    }

    fn reset(&mut self) {
        self.retries = 0;
    }
}

/// What `AsyncRetryPolicy(max_retries)` does after `retries` retries of a request failed with
/// `error`.
fn bounded_decision(
    error: &RequestAttemptError,
    idempotent: bool,
    consistency: Consistency,
    retries: u32,
    max_retries: u32,
) -> RetryDecision {
    if retries >= max_retries || consistency.is_serial() {
        return RetryDecision::DontRetry;
    }
    let next_if_idempotent = if idempotent {
        RetryDecision::RetryNextTarget(None)
    } else {
        RetryDecision::DontRetry
    };
    match error {
        RequestAttemptError::BrokenConnectionError(_) => next_if_idempotent,
        RequestAttemptError::UnableToAllocStreamId => RetryDecision::RetryNextTarget(None),
        RequestAttemptError::DbError(db_error, _) => match db_error {
            DbError::Overloaded | DbError::ServerError | DbError::TruncateError => {
                next_if_idempotent
            }
            DbError::IsBootstrapping => RetryDecision::RetryNextTarget(None),
            DbError::Unavailable { .. } if retries == 0 => RetryDecision::RetryNextTarget(None),
            DbError::Unavailable { .. } => RetryDecision::RetrySameTarget(None),
            DbError::ReadTimeout {
                received,
                required,
                data_present,
                ..
            } if *data_present || received >= required => RetryDecision::RetrySameTarget(None),
            DbError::WriteTimeout { write_type, .. }
                if idempotent
                    && matches!(
                        write_type,
                        WriteType::Simple | WriteType::Batch | WriteType::UnloggedBatch
                    ) =>
            {
                RetryDecision::RetrySameTarget(None)
            }
            _ => RetryDecision::DontRetry,
        },
        _ => RetryDecision::DontRetry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scylla::errors::{BrokenConnectionErrorKind, DbError};

    fn db(error: DbError) -> RequestAttemptError {
        RequestAttemptError::DbError(error, String::new())
    }

    fn read_timeout(received: i32, required: i32, data_present: bool) -> RequestAttemptError {
        db(DbError::ReadTimeout {
            consistency: Consistency::Quorum,
            received,
            required,
            data_present,
        })
    }

    fn write_timeout(write_type: WriteType) -> RequestAttemptError {
        db(DbError::WriteTimeout {
            consistency: Consistency::Quorum,
            received: 1,
            required: 2,
            write_type,
        })
    }

    fn unavailable() -> RequestAttemptError {
        db(DbError::Unavailable {
            consistency: Consistency::Quorum,
            required: 2,
            alive: 1,
        })
    }

    fn broken() -> RequestAttemptError {
        RequestAttemptError::BrokenConnectionError(BrokenConnectionErrorKind::ChannelError.into())
    }

    /// The decision for (error, idempotent) on the first attempt, at QUORUM, with 3 retries.
    fn first(error: &RequestAttemptError, idempotent: bool) -> RetryDecision {
        bounded_decision(error, idempotent, Consistency::Quorum, 0, 3)
    }

    use RetryDecision::{DontRetry, RetryNextTarget, RetrySameTarget};

    #[test]
    fn writes_that_may_have_been_applied_are_retried_only_when_idempotent() {
        for error in [
            broken(),
            db(DbError::Overloaded),
            db(DbError::ServerError),
            db(DbError::TruncateError),
        ] {
            assert_eq!(first(&error, true), RetryNextTarget(None), "{error:?}");
            assert_eq!(first(&error, false), DontRetry, "{error:?}");
        }
        assert_eq!(first(&write_timeout(WriteType::Simple), false), DontRetry);
        assert_eq!(
            first(&write_timeout(WriteType::Simple), true),
            RetrySameTarget(None)
        );
        assert_eq!(
            first(&write_timeout(WriteType::UnloggedBatch), true),
            RetrySameTarget(None)
        );
        for kind in [WriteType::Counter, WriteType::BatchLog, WriteType::Cas] {
            assert_eq!(
                first(&write_timeout(kind.clone()), true),
                DontRetry,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn requests_no_replica_saw_are_retried_whatever_the_statement() {
        assert_eq!(first(&unavailable(), false), RetryNextTarget(None));
        assert_eq!(
            bounded_decision(&unavailable(), false, Consistency::Quorum, 1, 3),
            RetrySameTarget(None)
        );
        assert_eq!(
            first(&db(DbError::IsBootstrapping), false),
            RetryNextTarget(None)
        );
    }

    #[test]
    fn read_timeouts_are_retried_when_data_or_enough_answers_came_back() {
        assert_eq!(
            first(&read_timeout(2, 2, false), false),
            RetrySameTarget(None)
        );
        assert_eq!(
            first(&read_timeout(1, 2, true), false),
            RetrySameTarget(None)
        );
        assert_eq!(first(&read_timeout(1, 2, false), true), DontRetry);
    }

    #[test]
    fn retries_stop_at_max_retries_and_never_happen_for_serial_requests() {
        let error = unavailable();
        assert_eq!(
            bounded_decision(&error, true, Consistency::Quorum, 3, 3),
            DontRetry
        );
        assert_eq!(
            bounded_decision(&error, true, Consistency::Quorum, 0, 0),
            DontRetry
        );
        assert_eq!(
            bounded_decision(&error, true, Consistency::Serial, 0, 3),
            DontRetry
        );
    }

    #[test]
    fn errors_a_retry_cannot_fix_are_not_retried() {
        for error in [
            db(DbError::SyntaxError),
            db(DbError::Invalid),
            db(DbError::Unauthorized),
            db(DbError::ConfigError),
        ] {
            assert_eq!(first(&error, true), DontRetry, "{error:?}");
        }
    }

    #[test]
    fn a_session_counts_its_retries_and_reset_starts_again() {
        let mut session = BoundedRetrySession {
            max_retries: 2,
            retries: 0,
        };
        let decide = |session: &mut BoundedRetrySession| {
            session.decide(&unavailable(), true, Consistency::One)
        };
        assert_eq!(decide(&mut session), RetryNextTarget(None));
        assert_eq!(decide(&mut session), RetrySameTarget(None));
        assert_eq!(decide(&mut session), DontRetry);
        session.reset();
        assert_eq!(session.retries, 0);
    }
}
