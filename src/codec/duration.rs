//! duration <-> `aiocql.Duration(months, days, nanoseconds)`.
//!
//! In: an `aiocql.Duration`, or a `datetime.timedelta`, which is an exact span of time and so
//! becomes nanoseconds only (months and days in CQL are calendar units). Out: `aiocql.Duration`.

use pyo3::prelude::*;
use pyo3::types::PyDelta;
use pyo3::types::PyDeltaAccess;

use super::{malformed, vint, ConvError, ConvResult};
use crate::interop::imports;

pub(crate) fn serialize(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let py = value.py();
    let (months, days, nanos): (i64, i64, i64) = if let Ok(delta) = value.cast::<PyDelta>() {
        let nanos = i128::from(delta.get_days()) * 86_400_000_000_000
            + i128::from(delta.get_seconds()) * 1_000_000_000
            + i128::from(delta.get_microseconds()) * 1_000;
        let nanos = i64::try_from(nanos).map_err(|_| {
            ConvError::value("timedelta is too long for a CQL duration (±292 years of nanoseconds)")
        })?;
        (0, 0, nanos)
    } else {
        let duration_class =
            imports::duration_class(py).map_err(|e| ConvError::value(e.to_string()))?;
        if !value.is_instance(&duration_class).unwrap_or(false) {
            return Err(ConvError::type_mismatch(
                "aiocql.Duration or datetime.timedelta for CQL duration",
                value,
            ));
        }
        let field = |name: &str| -> ConvResult<i64> {
            value
                .getattr(name)
                .and_then(|v| v.extract::<i64>())
                .map_err(|_| ConvError::value(format!("Duration.{name} must be an int")))
        };
        (field("months")?, field("days")?, field("nanoseconds")?)
    };
    let months = i32::try_from(months).map_err(|_| {
        ConvError::value(format!(
            "months {months} out of range for CQL duration (32-bit)"
        ))
    })?;
    let days = i32::try_from(days).map_err(|_| {
        ConvError::value(format!(
            "days {days} out of range for CQL duration (32-bit)"
        ))
    })?;
    let signs = [i64::from(months), i64::from(days), nanos];
    if signs.iter().any(|v| *v > 0) && signs.iter().any(|v| *v < 0) {
        return Err(ConvError::value(
            "months, days and nanoseconds of a CQL duration must not have different signs",
        ));
    }
    vint::write_signed(i64::from(months), out);
    vint::write_signed(i64::from(days), out);
    vint::write_signed(nanos, out);
    Ok(())
}

pub(crate) fn deserialize<'py>(py: Python<'py>, mut bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let months = vint::read_signed(&mut bytes).ok_or_else(|| malformed("duration", "truncated"))?;
    let days = vint::read_signed(&mut bytes).ok_or_else(|| malformed("duration", "truncated"))?;
    let nanos = vint::read_signed(&mut bytes).ok_or_else(|| malformed("duration", "truncated"))?;
    if !bytes.is_empty() {
        return Err(malformed("duration", "trailing bytes"));
    }
    imports::duration_class(py)?.call1((months, days, nanos))
}
