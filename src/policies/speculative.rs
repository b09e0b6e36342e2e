//! Speculative execution: a second (third...) attempt of a slow idempotent request on another
//! node, racing the first; the crate starts them and keeps the first answer.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use scylla::policies::speculative_execution::{
    PercentileSpeculativeExecutionPolicy as CratePercentile, SimpleSpeculativeExecutionPolicy,
    SpeculativeExecutionPolicy,
};

use super::invalid;
use crate::errors::DriverResult;
use crate::interop::args;
use crate::interop::names::describe;

/// The most speculative attempts a request may start (beyond that, the load multiplies).
const MAX_ATTEMPTS: i64 = 16;

fn max_attempts(value: &Bound<'_, PyAny>) -> DriverResult<usize> {
    let count = (!value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>())
        .then(|| value.extract::<i64>().ok())
        .flatten()
        .filter(|n| (1..=MAX_ATTEMPTS).contains(n));
    count.and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
        invalid(format!(
            "max_attempts must be an int from 1 to {MAX_ATTEMPTS} (speculative attempts \
                 after the first), got {}",
            describe(value)
        ))
    })
}

/// Starts another attempt on the next node every `delay` seconds while no answer has come, at
/// most `max_attempts` times; only for statements marked idempotent.
///
/// Raises `ConfigurationError` for a delay that is not a positive number of seconds or a count
/// outside 1 to 16.
///
///     cluster = AsyncCluster(speculative_execution_policy=ConstantSpeculativeExecutionPolicy(0.05, 2))
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct ConstantSpeculativeExecutionPolicy {
    delay: f64,
    max_attempts: usize,
    policy: Arc<dyn SpeculativeExecutionPolicy>,
}

#[pymethods]
impl ConstantSpeculativeExecutionPolicy {
    #[new]
    fn new(delay: Bound<'_, PyAny>, max_attempts: Bound<'_, PyAny>) -> DriverResult<Self> {
        let seconds = args::number(&delay).filter(|s| *s > 0.0).ok_or_else(|| {
            invalid(format!(
                "delay must be a positive number of seconds, got {}",
                describe(&delay)
            ))
        })?;
        let max_attempts = self::max_attempts(&max_attempts)?;
        Ok(ConstantSpeculativeExecutionPolicy {
            delay: seconds,
            max_attempts,
            policy: Arc::new(SimpleSpeculativeExecutionPolicy {
                max_retry_count: max_attempts,
                retry_interval: Duration::from_secs_f64(seconds),
            }),
        })
    }

    /// Seconds between attempts.
    #[getter]
    fn delay(&self) -> f64 {
        self.delay
    }

    /// Speculative attempts after the first, at most.
    #[getter]
    fn max_attempts(&self) -> usize {
        self.max_attempts
    }

    fn __repr__(&self) -> String {
        format!(
            "ConstantSpeculativeExecutionPolicy(delay={}, max_attempts={})",
            self.delay, self.max_attempts
        )
    }
}

/// Starts another attempt once a request has run longer than the session's `percentile` latency
/// (for example 99.0), at most `max_attempts` times; only for idempotent statements. Until the
/// session has measured latencies, the delay is 100 ms.
///
/// Raises `ConfigurationError` for a percentile outside (0, 100) or a count outside 1 to 16.
///
///     policy = PercentileSpeculativeExecutionPolicy(99.0, max_attempts=1)
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct PercentileSpeculativeExecutionPolicy {
    percentile: f64,
    max_attempts: usize,
    policy: Arc<dyn SpeculativeExecutionPolicy>,
}

#[pymethods]
impl PercentileSpeculativeExecutionPolicy {
    #[new]
    fn new(percentile: Bound<'_, PyAny>, max_attempts: Bound<'_, PyAny>) -> DriverResult<Self> {
        let value = args::number(&percentile)
            .filter(|p| *p > 0.0 && *p < 100.0)
            .ok_or_else(|| {
                invalid(format!(
                    "percentile must be a number between 0 and 100 (exclusive), got {}",
                    describe(&percentile)
                ))
            })?;
        let max_attempts = self::max_attempts(&max_attempts)?;
        Ok(PercentileSpeculativeExecutionPolicy {
            percentile: value,
            max_attempts,
            policy: Arc::new(CratePercentile {
                max_retry_count: max_attempts,
                percentile: value,
            }),
        })
    }

    /// The latency percentile after which another attempt starts.
    #[getter]
    fn percentile(&self) -> f64 {
        self.percentile
    }

    /// Speculative attempts after the first, at most.
    #[getter]
    fn max_attempts(&self) -> usize {
        self.max_attempts
    }

    fn __repr__(&self) -> String {
        format!(
            "PercentileSpeculativeExecutionPolicy(percentile={}, max_attempts={})",
            self.percentile, self.max_attempts
        )
    }
}

/// The crate's policy behind a Python `speculative_execution_policy` (None: no speculation).
pub(crate) fn speculative_policy(
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> DriverResult<Option<Arc<dyn SpeculativeExecutionPolicy>>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(constant) = value.cast::<ConstantSpeculativeExecutionPolicy>() {
        return Ok(Some(constant.get().policy.clone()));
    }
    if let Ok(percentile) = value.cast::<PercentileSpeculativeExecutionPolicy>() {
        return Ok(Some(percentile.get().policy.clone()));
    }
    Err(invalid(format!(
        "{name} must be None, ConstantSpeculativeExecutionPolicy(delay, max_attempts) or \
         PercentileSpeculativeExecutionPolicy(percentile, max_attempts), got {}",
        describe(value)
    )))
}
