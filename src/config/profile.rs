//! Execution profiles: named sets of request settings (consistency, serial consistency,
//! timeout, row factory and the three policies), cassandra-driver's `ExecutionProfile`. Each
//! becomes one of the crate's `ExecutionProfile`s when a session connects.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};
use scylla::client::execution_profile::ExecutionProfile as CrateProfile;
use scylla::policies::retry::RetryPolicy;
use scylla::policies::speculative_execution::SpeculativeExecutionPolicy;
use scylla::statement::{Consistency, SerialConsistency};

use crate::errors::{DriverError, DriverResult};
use crate::interop::names::describe;
use crate::interop::{args, imports};
use crate::policies::load_balancing::{balancing, Balancing};
use crate::policies::retry::{default_retry_policy, retry_policy};
use crate::policies::speculative::speculative_policy;
use crate::statement::options::consistency_level;

/// The name of the profile calls use when they name none (cassandra-driver's
/// `EXEC_PROFILE_DEFAULT`).
pub(crate) const DEFAULT_PROFILE: &str = "default";

fn invalid(message: String) -> DriverError {
    DriverError::Configuration(message)
}

/// One profile's settings, validated.
#[derive(Clone)]
pub(crate) struct ProfileSettings {
    pub balancing: Balancing,
    pub retry: Arc<dyn RetryPolicy>,
    pub speculative: Option<Arc<dyn SpeculativeExecutionPolicy>>,
    pub consistency: Consistency,
    pub serial_consistency: Option<SerialConsistency>,
    /// A call's deadline when neither the call nor its statement gives one (None: no limit).
    pub request_timeout: Option<Duration>,
    /// None: the session's `row_factory`.
    pub row_factory: Option<Arc<Py<PyAny>>>,
}

impl ProfileSettings {
    /// cassandra-driver's defaults: token- and datacenter-aware, its retry decisions, no
    /// speculation, LOCAL_ONE, `request_timeout` as given.
    pub(crate) fn defaults(request_timeout: Option<Duration>) -> Self {
        ProfileSettings {
            balancing: Balancing::default(),
            retry: default_retry_policy(),
            speculative: None,
            consistency: Consistency::LocalOne,
            serial_consistency: None,
            request_timeout,
            row_factory: None,
        }
    }

    /// The crate's profile; a datacenter policy without `local_dc` uses `inferred_dc`.
    pub(crate) fn crate_profile(&self, inferred_dc: Option<&str>) -> CrateProfile {
        CrateProfile::builder()
            .consistency(self.consistency)
            .serial_consistency(self.serial_consistency)
            // Per-call deadlines are enforced around the whole call (all pages, retries included).
            .request_timeout(None)
            .load_balancing_policy(self.balancing.build(inferred_dc))
            .retry_policy(self.retry.clone())
            .speculative_execution_policy(self.speculative.clone())
            .build()
    }
}

/// A `ConsistencyLevel` argument named `name`.
pub(crate) fn consistency_setting(
    name: &str,
    value: &Bound<'_, PyAny>,
) -> DriverResult<Consistency> {
    let level = (!value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>())
        .then(|| value.extract::<i64>().ok())
        .flatten();
    level.and_then(consistency_level).ok_or_else(|| {
        invalid(format!(
            "{name} must be a ConsistencyLevel (ANY, ONE, ..., LOCAL_ONE), got {}",
            describe(value)
        ))
    })
}

/// A `ConsistencyLevel.SERIAL` or `LOCAL_SERIAL` argument named `name`, or None.
pub(crate) fn serial_setting(
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> DriverResult<Option<SerialConsistency>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    consistency_setting(name, value)
        .ok()
        .and_then(|c| SerialConsistency::try_from(c).ok())
        .map(Some)
        .ok_or_else(|| {
            invalid(format!(
                "{name} must be ConsistencyLevel.SERIAL, LOCAL_SERIAL or None, got {}",
                describe(value)
            ))
        })
}

/// A number of seconds (int or float, not bool), positive and finite; None for None.
pub(crate) fn optional_seconds(
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> DriverResult<Option<Duration>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let seconds = args::number(value).filter(|s| *s > 0.0);
    seconds
        .map(Duration::from_secs_f64)
        .map(Some)
        .ok_or_else(|| {
            invalid(format!(
                "{name} must be None or a positive, finite number of seconds, got {}",
                describe(value)
            ))
        })
}

/// cassandra-driver's default `request_timeout` of a profile (an explicit None is no limit).
fn ten_seconds() -> Py<PyAny> {
    Python::attach(|py| PyFloat::new(py, 10.0).into_any().unbind())
}

/// A set of request settings that calls select by name with `execution_profile=`.
///
/// Pass profiles to `AsyncCluster(execution_profiles={EXEC_PROFILE_DEFAULT: ..., "name": ...})`.
/// Settings a statement carries itself (its consistency level, its timeout) win over its
/// profile's; a call's `timeout=` and `row_factory=` win over both.
///
/// Raises `ConfigurationError` for an invalid setting, naming it.
///
///     analytics = ExecutionProfile(consistency_level=ConsistencyLevel.ONE, request_timeout=60)
///     cluster = AsyncCluster(execution_profiles={"analytics": analytics})
///     rows = await session.execute(query, execution_profile="analytics")
#[pyclass(module = "aiocql.policies", frozen)]
pub(crate) struct ExecutionProfile {
    settings: ProfileSettings,
    load_balancing_policy: Option<Py<PyAny>>,
    retry_policy: Option<Py<PyAny>>,
    speculative_execution_policy: Option<Py<PyAny>>,
    consistency_level: Py<PyAny>,
    serial_consistency_level: Option<Py<PyAny>>,
}

#[pymethods]
impl ExecutionProfile {
    #[new]
    #[pyo3(signature = (
        load_balancing_policy = None,
        retry_policy = None,
        consistency_level = None,
        serial_consistency_level = None,
        request_timeout = Some(ten_seconds()),
        row_factory = None,
        speculative_execution_policy = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        load_balancing_policy: Option<Bound<'_, PyAny>>,
        retry_policy: Option<Bound<'_, PyAny>>,
        consistency_level: Option<Bound<'_, PyAny>>,
        serial_consistency_level: Option<Bound<'_, PyAny>>,
        request_timeout: Option<Py<PyAny>>,
        row_factory: Option<Bound<'_, PyAny>>,
        speculative_execution_policy: Option<Bound<'_, PyAny>>,
    ) -> DriverResult<Self> {
        let load_balancing_policy = load_balancing_policy.filter(|p| !p.is_none());
        let retry_policy = retry_policy.filter(|p| !p.is_none());
        let speculative_execution_policy = speculative_execution_policy.filter(|p| !p.is_none());
        let consistency_level = match consistency_level.filter(|c| !c.is_none()) {
            Some(level) => level,
            None => imports::consistency_level_class(py)
                .and_then(|class| class.getattr("LOCAL_ONE"))
                .map_err(|e| invalid(e.to_string()))?,
        };
        let row_factory = row_factory.filter(|f| !f.is_none());
        if let Some(factory) = &row_factory {
            if !factory.is_callable() {
                return Err(invalid(format!(
                    "row_factory must be callable or None, got {}",
                    describe(factory)
                )));
            }
        }
        let request_timeout = request_timeout
            .map(|t| optional_seconds("request_timeout", Some(t.bind(py))))
            .transpose()?
            .flatten();
        let settings = ProfileSettings {
            balancing: load_balancing_policy
                .as_ref()
                .map(|p| balancing(p, "load_balancing_policy"))
                .transpose()?
                .unwrap_or_default(),
            retry: retry_policy
                .as_ref()
                .map(|p| self::retry_policy(p, "retry_policy"))
                .transpose()?
                .unwrap_or_else(default_retry_policy),
            speculative: speculative_policy(
                speculative_execution_policy.as_ref(),
                "speculative_execution_policy",
            )?,
            consistency: consistency_setting("consistency_level", &consistency_level)?,
            serial_consistency: serial_setting(
                "serial_consistency_level",
                serial_consistency_level.as_ref(),
            )?,
            request_timeout,
            row_factory: row_factory.as_ref().map(|f| Arc::new(f.clone().unbind())),
        };
        Ok(ExecutionProfile {
            settings,
            load_balancing_policy: load_balancing_policy.map(Bound::unbind),
            retry_policy: retry_policy.map(Bound::unbind),
            speculative_execution_policy: speculative_execution_policy.map(Bound::unbind),
            consistency_level: consistency_level.unbind(),
            serial_consistency_level: serial_consistency_level
                .filter(|c| !c.is_none())
                .map(Bound::unbind),
        })
    }

    #[getter]
    fn load_balancing_policy(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.load_balancing_policy.as_ref().map(|p| p.clone_ref(py))
    }

    #[getter]
    fn retry_policy(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.retry_policy.as_ref().map(|p| p.clone_ref(py))
    }

    #[getter]
    fn speculative_execution_policy(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.speculative_execution_policy
            .as_ref()
            .map(|p| p.clone_ref(py))
    }

    #[getter]
    fn consistency_level(&self, py: Python<'_>) -> Py<PyAny> {
        self.consistency_level.clone_ref(py)
    }

    #[getter]
    fn serial_consistency_level(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.serial_consistency_level
            .as_ref()
            .map(|c| c.clone_ref(py))
    }

    /// Seconds a call may take (None: no limit).
    #[getter]
    fn request_timeout(&self) -> Option<f64> {
        self.settings.request_timeout.map(|t| t.as_secs_f64())
    }

    #[getter]
    fn row_factory(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.settings.row_factory.as_ref().map(|f| f.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let show = |value: Option<&Py<PyAny>>| {
            value.map_or_else(
                || "None".to_owned(),
                |v| {
                    v.bind(py)
                        .repr()
                        .map(|r| r.to_string())
                        .unwrap_or_else(|_| "?".into())
                },
            )
        };
        format!(
            "ExecutionProfile(load_balancing_policy={}, retry_policy={}, consistency_level={}, \
             serial_consistency_level={}, request_timeout={}, speculative_execution_policy={})",
            show(self.load_balancing_policy.as_ref()),
            show(self.retry_policy.as_ref()),
            show(Some(&self.consistency_level)),
            show(self.serial_consistency_level.as_ref()),
            self.request_timeout()
                .map_or_else(|| "None".to_owned(), |t| t.to_string()),
            show(self.speculative_execution_policy.as_ref()),
        )
    }
}

impl ExecutionProfile {
    pub(crate) fn settings(&self) -> &ProfileSettings {
        &self.settings
    }
}
