//! Statement options (consistency, serial consistency, page size, idempotence, timeout, client
//! timestamp, retry policy): read from a Python statement object once, validated once, and applied to any of
//! the `scylla` crate's statements through [`Configurable`].

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use scylla::policies::retry::RetryPolicy;
use scylla::statement::batch::Batch;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;
use scylla::statement::{Consistency, SerialConsistency};

use crate::errors::value_error;
use crate::interop::args;
use crate::policies::retry::retry_policy;

/// A statement's own retry policy: the Python object (for its getter) and the crate's policy.
#[derive(Clone, Debug)]
pub(crate) struct StatementRetry {
    pub object: Arc<Py<PyAny>>,
    pub policy: Arc<dyn RetryPolicy>,
}

impl StatementRetry {
    /// Reads a `retry_policy` setting (None: the profile's).
    pub(crate) fn read(value: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        if value.is_none() {
            return Ok(None);
        }
        Ok(Some(StatementRetry {
            policy: retry_policy(value, "retry_policy")?,
            object: Arc::new(value.clone().unbind()),
        }))
    }
}

/// The options as the user gave them, before validation: `PreparedStatement`'s settable
/// attributes, and what `SimpleStatement` and `BatchStatement` objects carry.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawOptions {
    pub consistency: Option<i64>,
    pub serial_consistency: Option<i64>,
    pub fetch_size: Option<i64>,
    pub idempotent: bool,
    pub timeout: Option<f64>,
    /// Client-side write timestamp, microseconds since the epoch.
    pub timestamp: Option<i64>,
    /// None: the execution profile's retry policy.
    pub retry: Option<StatementRetry>,
}

impl RawOptions {
    /// Reads the options of an `aiocql.SimpleStatement`, or of an `aiocql.BatchStatement` (which
    /// has no `fetch_size`).
    pub(crate) fn read(statement: &Bound<'_, PyAny>, has_fetch_size: bool) -> PyResult<Self> {
        let int = |name: &str| args::int_attr(statement, name, name);
        Ok(RawOptions {
            consistency: int("consistency_level")?,
            serial_consistency: int("serial_consistency_level")?,
            fetch_size: if has_fetch_size {
                int("fetch_size")?
            } else {
                None
            },
            idempotent: statement.getattr("is_idempotent")?.is_truthy()?,
            timeout: statement.getattr("timeout")?.extract::<Option<f64>>()?,
            timestamp: int("timestamp")?,
            retry: StatementRetry::read(&statement.getattr("retry_policy")?)?,
        })
    }
}

/// Validated options; `None` means "the session's default".
#[derive(Clone, Debug, Default)]
pub(crate) struct StatementOptions {
    consistency: Option<Consistency>,
    serial_consistency: Option<SerialConsistency>,
    page_size: Option<i32>,
    idempotent: bool,
    timeout: Option<Duration>,
    /// Client-side write timestamp (microseconds since the epoch); None: the server's clock.
    timestamp: Option<i64>,
    retry: Option<Arc<dyn RetryPolicy>>,
}

/// A `ConsistencyLevel` value (an int, as in cassandra-driver), by the protocol's own table.
pub(crate) fn consistency_level(level: i64) -> Option<Consistency> {
    u16::try_from(level)
        .ok()
        .and_then(|code| Consistency::try_from(code).ok())
}

impl StatementOptions {
    /// Validates options given as plain values.
    pub(crate) fn new(raw: &RawOptions) -> PyResult<Self> {
        let consistency = raw
            .consistency
            .map(|level| {
                consistency_level(level).ok_or_else(|| {
                    value_error(format!(
                        "consistency_level must be a ConsistencyLevel (0 to 10), got {level}"
                    ))
                })
            })
            .transpose()?;
        let serial_consistency = raw
            .serial_consistency
            .map(|level| {
                consistency_level(level)
                    .and_then(|c| SerialConsistency::try_from(c).ok())
                    .ok_or_else(|| {
                        value_error(format!(
                            "serial_consistency_level must be ConsistencyLevel.SERIAL or \
                             LOCAL_SERIAL, got {level}"
                        ))
                    })
            })
            .transpose()?;
        Ok(StatementOptions {
            consistency,
            serial_consistency,
            page_size: raw
                .fetch_size
                .map(|size| args::fetch_size("fetch_size", size))
                .transpose()?,
            idempotent: raw.idempotent,
            timeout: args::timeout(raw.timeout)?,
            timestamp: raw.timestamp,
            retry: raw.retry.as_ref().map(|r| r.policy.clone()),
        })
    }

    /// Reads and validates the options of a Python statement object.
    pub(crate) fn read(statement: &Bound<'_, PyAny>, has_fetch_size: bool) -> PyResult<Self> {
        Self::new(&RawOptions::read(statement, has_fetch_size)?)
    }

    /// The statement's own timeout (a call's `timeout=` wins over it).
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets every option that was given on `statement`; the others keep the session's default.
    pub(crate) fn apply_to(&self, statement: &mut impl Configurable) {
        if let Some(c) = self.consistency {
            statement.set_consistency(c);
        }
        if self.serial_consistency.is_some() {
            statement.set_serial_consistency(self.serial_consistency);
        }
        if let Some(size) = self.page_size {
            statement.set_page_size(size);
        }
        statement.set_is_idempotent(self.idempotent);
        if self.timestamp.is_some() {
            statement.set_timestamp(self.timestamp);
        }
        if self.retry.is_some() {
            statement.set_retry_policy(self.retry.clone());
        }
    }
}

/// The options every `scylla` statement kind has (its `StatementConfig` is private to the crate).
pub(crate) trait Configurable {
    fn set_consistency(&mut self, consistency: Consistency);
    fn set_serial_consistency(&mut self, serial: Option<SerialConsistency>);
    /// Rows per page; `size` is positive (validated by `args::fetch_size`).
    fn set_page_size(&mut self, size: i32);
    fn set_is_idempotent(&mut self, idempotent: bool);
    fn set_timestamp(&mut self, timestamp: Option<i64>);
    fn set_retry_policy(&mut self, policy: Option<Arc<dyn RetryPolicy>>);
}

/// `configurable!(Type, set_page_size)` for statements with pages, `configurable!(Batch)`.
macro_rules! configurable {
    ($statement:ty $(, $set_page_size:ident)?) => {
        impl Configurable for $statement {
            fn set_consistency(&mut self, consistency: Consistency) {
                <$statement>::set_consistency(self, consistency)
            }
            fn set_serial_consistency(&mut self, serial: Option<SerialConsistency>) {
                <$statement>::set_serial_consistency(self, serial)
            }
            fn set_page_size(&mut self, _size: i32) {
                $(<$statement>::$set_page_size(self, _size);)?
            }
            fn set_is_idempotent(&mut self, idempotent: bool) {
                <$statement>::set_is_idempotent(self, idempotent)
            }
            fn set_timestamp(&mut self, timestamp: Option<i64>) {
                <$statement>::set_timestamp(self, timestamp)
            }
            fn set_retry_policy(&mut self, policy: Option<Arc<dyn RetryPolicy>>) {
                <$statement>::set_retry_policy(self, policy)
            }
        }
    };
}

configurable!(Statement, set_page_size);
configurable!(ScyllaPrepared, set_page_size);
// A batch returns no pages: its page size is never set.
configurable!(Batch);
