//! Per-statement options (`SimpleStatement`'s consistency, serial consistency, fetch size,
//! idempotence, timeout), read from the Python object and applied to the Rust statement.

use std::time::Duration;

use pyo3::prelude::*;
use scylla::statement::batch::Batch;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;
use scylla::statement::unprepared::Statement;
use scylla::statement::{Consistency, SerialConsistency};

use crate::errors::{type_error, value_error};
use crate::session::parse_timeout;

/// The options of a `PreparedStatement` as the user set them (validated on assignment).
#[derive(Clone, Debug, Default)]
pub struct PreparedSettings {
    pub consistency: Option<i64>,
    pub serial_consistency: Option<i64>,
    pub fetch_size: Option<i64>,
    pub idempotent: bool,
    pub timeout: Option<f64>,
    /// Client-side write timestamp, microseconds since the epoch.
    pub timestamp: Option<i64>,
}

/// Options a statement object carries; `None` means "the session's default".
#[derive(Clone, Debug, Default)]
pub struct StatementOptions {
    pub consistency: Option<Consistency>,
    pub serial_consistency: Option<SerialConsistency>,
    pub page_size: Option<i32>,
    pub idempotent: bool,
    pub timeout: Option<Duration>,
    /// Client-side write timestamp (microseconds since the epoch); None: the server's clock.
    pub timestamp: Option<i64>,
}

/// `ConsistencyLevel` (an int, as in cassandra-driver) to the Rust driver's type.
pub fn consistency_from_int(level: i64) -> PyResult<Consistency> {
    Ok(match level {
        0 => Consistency::Any,
        1 => Consistency::One,
        2 => Consistency::Two,
        3 => Consistency::Three,
        4 => Consistency::Quorum,
        5 => Consistency::All,
        6 => Consistency::LocalQuorum,
        7 => Consistency::EachQuorum,
        8 => Consistency::Serial,
        9 => Consistency::LocalSerial,
        10 => Consistency::LocalOne,
        other => {
            return Err(value_error(format!(
                "consistency_level must be a ConsistencyLevel (0 to 10), got {other}"
            )))
        }
    })
}

fn serial_from_int(level: i64) -> PyResult<SerialConsistency> {
    match level {
        8 => Ok(SerialConsistency::Serial),
        9 => Ok(SerialConsistency::LocalSerial),
        other => Err(value_error(format!(
            "serial_consistency_level must be ConsistencyLevel.SERIAL or LOCAL_SERIAL, got {other}"
        ))),
    }
}

fn optional_int(statement: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<i64>> {
    let value = statement.getattr(name)?;
    if value.is_none() {
        return Ok(None);
    }
    value
        .extract::<i64>()
        .map(Some)
        .map_err(|_| type_error(format!("{name} must be an int or None")))
}

impl StatementOptions {
    /// Reads the options of an `aiocql.SimpleStatement`.
    pub fn from_statement(statement: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::from_parts(&PreparedSettings {
            consistency: optional_int(statement, "consistency_level")?,
            serial_consistency: optional_int(statement, "serial_consistency_level")?,
            fetch_size: optional_int(statement, "fetch_size")?,
            idempotent: statement.getattr("is_idempotent")?.is_truthy()?,
            timeout: statement.getattr("timeout")?.extract::<Option<f64>>()?,
            timestamp: optional_int(statement, "timestamp")?,
        })
    }

    /// Validates and converts options given as plain values.
    pub fn from_parts(settings: &PreparedSettings) -> PyResult<Self> {
        let page_size = settings
            .fetch_size
            .map(|size| {
                i32::try_from(size)
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| value_error(format!("fetch_size must be positive, got {size}")))
            })
            .transpose()?;
        Ok(StatementOptions {
            consistency: settings.consistency.map(consistency_from_int).transpose()?,
            serial_consistency: settings
                .serial_consistency
                .map(serial_from_int)
                .transpose()?,
            page_size,
            idempotent: settings.idempotent,
            timeout: parse_timeout(settings.timeout, None)?,
            timestamp: settings.timestamp,
        })
    }

    /// Reads the options of an `aiocql.BatchStatement` (a batch has no fetch size).
    pub fn from_batch(batch: &Bound<'_, PyAny>) -> PyResult<Self> {
        let consistency = optional_int(batch, "consistency_level")?
            .map(consistency_from_int)
            .transpose()?;
        let serial_consistency = optional_int(batch, "serial_consistency_level")?
            .map(serial_from_int)
            .transpose()?;
        let idempotent = batch.getattr("is_idempotent")?.is_truthy()?;
        let timeout = batch.getattr("timeout")?.extract::<Option<f64>>()?;
        Ok(StatementOptions {
            consistency,
            serial_consistency,
            page_size: None,
            idempotent,
            timeout: parse_timeout(timeout, None)?,
            timestamp: optional_int(batch, "timestamp")?,
        })
    }

    pub fn apply_to_batch(&self, batch: &mut Batch) {
        if let Some(c) = self.consistency {
            batch.set_consistency(c);
        }
        if self.serial_consistency.is_some() {
            batch.set_serial_consistency(self.serial_consistency);
        }
        batch.set_is_idempotent(self.idempotent);
        if self.timestamp.is_some() {
            batch.set_timestamp(self.timestamp);
        }
    }

    pub fn apply_to_statement(&self, statement: &mut Statement) {
        if let Some(c) = self.consistency {
            statement.set_consistency(c);
        }
        if self.serial_consistency.is_some() {
            statement.set_serial_consistency(self.serial_consistency);
        }
        if let Some(size) = self.page_size {
            statement.set_page_size(size); // validated positive above
        }
        statement.set_is_idempotent(self.idempotent);
        if self.timestamp.is_some() {
            statement.set_timestamp(self.timestamp);
        }
    }

    pub fn apply_to_prepared(&self, prepared: &mut ScyllaPrepared) {
        if let Some(c) = self.consistency {
            prepared.set_consistency(c);
        }
        if self.serial_consistency.is_some() {
            prepared.set_serial_consistency(self.serial_consistency);
        }
        if let Some(size) = self.page_size {
            prepared.set_page_size(size);
        }
        prepared.set_is_idempotent(self.idempotent);
        if self.timestamp.is_some() {
            prepared.set_timestamp(self.timestamp);
        }
    }
}
