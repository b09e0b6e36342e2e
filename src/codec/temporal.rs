//! timestamp, date and time <-> `datetime.datetime`, `datetime.date`, `datetime.time`.
//!
//! * timestamp (milliseconds since the epoch, UTC): read back as a timezone-aware `datetime` in
//!   UTC. On the way in an aware datetime is converted to UTC; a naive one is taken to be UTC
//!   already (as cassandra-driver does), never shifted by the local zone. Microseconds are
//!   truncated to the millisecond the column can hold. An `int` is taken as epoch milliseconds
//!   and a `date` as its midnight UTC.
//! * date: a `date` (a `datetime` is refused: it would silently lose its time) or an `int` of
//!   days since the epoch.
//! * time (nanoseconds since midnight): a naive `time`, or an `int` of nanoseconds. Read back
//!   as `time`, whose microsecond precision drops the last three digits of nanoseconds.
//!
//! * Values outside the years 1-9999 that `datetime` can hold come back as
//!   `aiocql.CqlTimestamp(milliseconds)` and `aiocql.CqlDate(days)`, which are accepted as
//!   parameters too.
//!
//! Calendar arithmetic is done in Rust (proleptic Gregorian, as Python's `datetime` and
//! Cassandra both use), so conversions are exact and independent of the platform's time APIs.

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDate, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyInt, PyTime, PyTimeAccess,
    PyTzInfo, PyTzInfoAccess,
};

use super::{fixed, malformed, ConvError, ConvResult};
use crate::errors::BindErrorKind;
use crate::interop::imports;

const MS_PER_DAY: i64 = 86_400_000;
const NS_PER_DAY: i64 = 86_400_000_000_000;
const DATE_EPOCH_OFFSET: i64 = 1 << 31;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_plain_int(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>()
}

fn bind_err(e: PyErr) -> ConvError {
    ConvError::value(e.to_string())
}

fn delta_microseconds(delta: &Bound<'_, PyDelta>) -> i128 {
    (i128::from(delta.get_days()) * 86_400 + i128::from(delta.get_seconds())) * 1_000_000
        + i128::from(delta.get_microseconds())
}

/// The integer inside an `aiocql.CqlTimestamp` / `aiocql.CqlDate`, if `value` is one.
fn explicit_value(
    value: &Bound<'_, PyAny>,
    cql_type: &str,
    field: &str,
) -> ConvResult<Option<i64>> {
    let py = value.py();
    let class = if cql_type == "date" {
        imports::cql_date_class(py)
    } else {
        imports::cql_timestamp_class(py)
    }
    .map_err(|e| ConvError::value(e.to_string()))?;
    if !value.is_instance(&class).unwrap_or(false) {
        return Ok(None);
    }
    value
        .getattr(field)
        .and_then(|v| v.extract::<i64>())
        .map(Some)
        .map_err(|_| ConvError::value(format!("{field} out of range for CQL {cql_type}")))
}

pub(crate) fn serialize_timestamp(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let millis: i64 = if let Ok(dt) = value.cast::<PyDateTime>() {
        let days = days_from_civil(
            dt.get_year().into(),
            dt.get_month().into(),
            dt.get_day().into(),
        );
        let mut micros = (i128::from(days) * 86_400
            + i128::from(dt.get_hour()) * 3600
            + i128::from(dt.get_minute()) * 60
            + i128::from(dt.get_second()))
            * 1_000_000
            + i128::from(dt.get_microsecond());
        let offset = value.call_method0("utcoffset").map_err(bind_err)?;
        if !offset.is_none() {
            let offset = offset
                .cast::<PyDelta>()
                .map_err(|e| ConvError::value(e.to_string()))?;
            micros -= delta_microseconds(offset);
        }
        // Floor division: 1969-12-31T23:59:59.9995 is millisecond -1, not 0.
        i64::try_from(micros.div_euclid(1000))
            .map_err(|_| ConvError::value("timestamp out of range"))?
    } else if let Ok(d) = value.cast::<PyDate>() {
        days_from_civil(
            d.get_year().into(),
            d.get_month().into(),
            d.get_day().into(),
        ) * MS_PER_DAY
    } else if is_plain_int(value) {
        value.extract::<i64>().map_err(|_| {
            ConvError::value("epoch milliseconds out of range for CQL timestamp (64-bit)")
        })?
    } else if let Some(millis) = explicit_value(value, "timestamp", "milliseconds")? {
        millis
    } else {
        return Err(ConvError::type_mismatch(
            "datetime.datetime, datetime.date or int (epoch milliseconds) for CQL timestamp",
            value,
        ));
    };
    out.extend_from_slice(&millis.to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_date(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let days: i64 = if value.is_instance_of::<PyDateTime>() {
        return Err(ConvError {
            kind: BindErrorKind::Type,
            detail: format!(
                "expected datetime.date for CQL date, got datetime.datetime ({}); pass .date() \
                 explicitly so that the time of day is not dropped silently",
                value.str().map(|s| s.to_string()).unwrap_or_default()
            ),
        });
    } else if let Ok(d) = value.cast::<PyDate>() {
        days_from_civil(
            d.get_year().into(),
            d.get_month().into(),
            d.get_day().into(),
        )
    } else if is_plain_int(value) {
        value
            .extract::<i64>()
            .map_err(|_| ConvError::value("days since the epoch out of range for CQL date"))?
    } else if let Some(days) = explicit_value(value, "date", "days")? {
        days
    } else {
        return Err(ConvError::type_mismatch(
            "datetime.date or int (days since 1970-01-01) for CQL date",
            value,
        ));
    };
    let raw = u32::try_from(days + DATE_EPOCH_OFFSET).map_err(|_| {
        ConvError::value(format!(
            "{days} days from the epoch is out of range for CQL date"
        ))
    })?;
    out.extend_from_slice(&raw.to_be_bytes());
    Ok(())
}

pub(crate) fn serialize_time(value: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> ConvResult<()> {
    let nanos: i64 = if let Ok(t) = value.cast::<PyTime>() {
        if t.get_tzinfo().is_some() {
            return Err(ConvError::value(
                "CQL time has no timezone; pass a naive datetime.time",
            ));
        }
        ((i64::from(t.get_hour()) * 60 + i64::from(t.get_minute())) * 60
            + i64::from(t.get_second()))
            * 1_000_000_000
            + i64::from(t.get_microsecond()) * 1000
    } else if is_plain_int(value) {
        value
            .extract::<i64>()
            .map_err(|_| ConvError::value("nanoseconds out of range"))?
    } else {
        return Err(ConvError::type_mismatch(
            "datetime.time or int (nanoseconds since midnight) for CQL time",
            value,
        ));
    };
    if !(0..NS_PER_DAY).contains(&nanos) {
        return Err(ConvError::value(format!(
            "{nanos} ns is not a time of day (0 to {} ns)",
            NS_PER_DAY - 1
        )));
    }
    out.extend_from_slice(&nanos.to_be_bytes());
    Ok(())
}

pub(crate) fn deserialize_timestamp<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    let millis = i64::from_be_bytes(fixed::<8>(bytes, "timestamp")?);
    let days = millis.div_euclid(MS_PER_DAY);
    let in_day = millis.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let Some(year) = i32::try_from(year).ok().filter(|y| (1..=9999).contains(y)) else {
        // Outside what datetime can hold: an explicit value, never an error or a wrong date.
        return imports::cql_timestamp_class(py)?.call1((millis,));
    };
    let utc = PyTzInfo::utc(py)?;
    let dt = PyDateTime::new(
        py,
        year,
        month as u8,
        day as u8,
        (in_day / 3_600_000) as u8,
        (in_day / 60_000 % 60) as u8,
        (in_day / 1000 % 60) as u8,
        (in_day % 1000 * 1000) as u32,
        Some(&utc),
    )?;
    Ok(dt.into_any())
}

pub(crate) fn deserialize_date<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let raw = u32::from_be_bytes(fixed::<4>(bytes, "date")?);
    let days = i64::from(raw) - DATE_EPOCH_OFFSET;
    let (year, month, day) = civil_from_days(days);
    let Some(year) = i32::try_from(year).ok().filter(|y| (1..=9999).contains(y)) else {
        return imports::cql_date_class(py)?.call1((days,));
    };
    Ok(PyDate::new(py, year, month as u8, day as u8)?.into_any())
}

pub(crate) fn deserialize_time<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let nanos = i64::from_be_bytes(fixed::<8>(bytes, "time")?);
    if !(0..NS_PER_DAY).contains(&nanos) {
        return Err(malformed(
            "time",
            &format!("{nanos} ns is not a time of day"),
        ));
    }
    let t = PyTime::new(
        py,
        (nanos / 3_600_000_000_000) as u8,
        (nanos / 60_000_000_000 % 60) as u8,
        (nanos / 1_000_000_000 % 60) as u8,
        (nanos / 1000 % 1_000_000) as u32,
        None,
    )?;
    Ok(t.into_any())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_a_wide_range() {
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            civil_from_days(days_from_civil(9999, 12, 31)),
            (9999, 12, 31)
        );
    }
}
