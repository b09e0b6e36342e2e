//! Readers of call arguments: each one refuses bad input before any I/O, with a `TypeError` or
//! `ValueError` whose message names the argument.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyMemoryView, PyString};
use scylla::response::PagingState;

use super::names::python_type_name;
use crate::errors::{type_error, value_error};

/// A number of seconds for `name`: positive and finite.
pub(crate) fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "{name} must be positive: a finite number of seconds, got {value}"
        ))
    }
}

/// A setting's value as a finite number: an int or a float, not a `bool`.
pub(crate) fn number(value: &Bound<'_, PyAny>) -> Option<f64> {
    let numeric = !value.is_instance_of::<PyBool>()
        && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>());
    numeric
        .then(|| value.extract::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
}

/// A `timeout=` argument in seconds; `None` means "not given".
pub(crate) fn timeout(value: Option<f64>) -> PyResult<Option<Duration>> {
    value
        .map(|v| seconds("timeout", v).map_err(value_error))
        .transpose()
}

/// A number of rows per page for `name`.
pub(crate) fn fetch_size(name: &str, size: i64) -> PyResult<i32> {
    match i32::try_from(size) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(value_error(format!(
            "{name} must be a positive number of rows (at most {}), got {size}",
            i32::MAX
        ))),
    }
}

/// An optional int attribute `attr` of a configuration object, named `what` in messages.
pub(crate) fn int_attr(object: &Bound<'_, PyAny>, attr: &str, what: &str) -> PyResult<Option<i64>> {
    let value = object.getattr(attr)?;
    if value.is_none() {
        return Ok(None);
    }
    value.extract::<i64>().map(Some).map_err(|_| {
        type_error(format!(
            "{what} must be an int or None, got {}",
            python_type_name(&value)
        ))
    })
}

/// An optional positive int attribute (a count; `bool` is refused), named `what` in messages.
pub(crate) fn positive_int_attr(
    object: &Bound<'_, PyAny>,
    attr: &str,
    what: &str,
) -> PyResult<Option<i64>> {
    let value = object.getattr(attr)?;
    if value.is_none() {
        return Ok(None);
    }
    let message = |got: String| format!("{what} must be a positive int or None, got {got}");
    if value.is_instance_of::<PyBool>() {
        return Err(type_error(message("bool".into())));
    }
    match value.extract::<i64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        Ok(n) => Err(value_error(message(n.to_string()))),
        Err(_) => Err(type_error(message(python_type_name(&value)))),
    }
}

/// A `row_factory=` argument: `None` (the default `Row`) or a callable.
pub(crate) fn row_factory(factory: Option<Bound<'_, PyAny>>) -> PyResult<Option<Arc<Py<PyAny>>>> {
    match factory {
        None => Ok(None),
        Some(f) if f.is_none() => Ok(None),
        Some(f) if f.is_callable() => Ok(Some(Arc::new(f.unbind()))),
        Some(f) => Err(type_error(format!(
            "row_factory must be None, tuple, dict or a callable, got {}",
            python_type_name(&f)
        ))),
    }
}

/// A keyspace name: `[A-Za-z0-9_]+` (case-insensitive, as CQL folds it), or a `"Quoted"`
/// exact name. Returns the name as the server knows it and whether it is case-sensitive.
pub(crate) fn keyspace(keyspace: &str) -> PyResult<(String, bool)> {
    let (name, case_sensitive) = match keyspace.strip_prefix('"').and_then(|k| k.strip_suffix('"'))
    {
        Some(inner) => (inner, true),
        None => (keyspace, false),
    };
    let valid = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(value_error(format!(
            "invalid keyspace name {keyspace:?}: use 1 to 48 letters, digits or underscores"
        )));
    }
    // CQL folds unquoted names to lower case; fold here too so that `keyspace` reports the
    // name the server uses.
    let name = if case_sensitive {
        name.to_owned()
    } else {
        name.to_ascii_lowercase()
    };
    Ok((name, case_sensitive))
}

/// A `paging_state=` argument: the bytes of `rs.paging_state`, or the string of
/// `rs.paging_token` (URL-safe base64). `None` starts at the first page.
pub(crate) fn paging_state(value: Option<&Bound<'_, PyAny>>) -> PyResult<PagingState> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(PagingState::start());
    };
    let raw: Vec<u8> = if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_str()?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| {
                value_error(format!(
                    "paging_state is not a paging token from AsyncResultSet.paging_token ({e})"
                ))
            })?
    } else if value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
        || value.is_instance_of::<PyMemoryView>()
    {
        let bytes = value.py().get_type::<PyBytes>().call1((value,))?;
        bytes.cast::<PyBytes>()?.as_bytes().to_vec()
    } else {
        return Err(type_error(format!(
            "paging_state must be bytes (AsyncResultSet.paging_state), a str \
             (AsyncResultSet.paging_token) or None, got {}",
            python_type_name(value)
        )));
    };
    if raw.is_empty() {
        return Err(value_error("paging_state is empty"));
    }
    Ok(PagingState::new_from_raw_bytes(raw))
}

/// The URL-safe text form of a paging state, which [`paging_state`] reads back.
pub(crate) fn paging_token(state: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_names_are_validated_before_any_io() {
        assert_eq!(keyspace("ks_1").ok(), Some(("ks_1".into(), false)));
        assert_eq!(keyspace("Ks_1").ok(), Some(("ks_1".into(), false)));
        assert_eq!(keyspace("\"MyKs\"").ok(), Some(("MyKs".into(), true)));
        Python::initialize();
        for bad in ["", "a b", "ks;DROP", "\"\"", &"x".repeat(49)] {
            assert!(keyspace(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn timeouts_must_be_positive_and_finite() {
        Python::initialize();
        assert_eq!(timeout(None).ok(), Some(None));
        assert_eq!(
            timeout(Some(1.5)).ok(),
            Some(Some(Duration::from_millis(1500)))
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(timeout(Some(bad)).is_err());
        }
    }

    #[test]
    fn fetch_sizes_are_positive_and_fit_the_protocol() {
        Python::initialize();
        assert_eq!(fetch_size("fetch_size", 1).ok(), Some(1));
        assert_eq!(
            fetch_size("fetch_size", i64::from(i32::MAX)).ok(),
            Some(i32::MAX)
        );
        for bad in [0, -5, i64::from(i32::MAX) + 1] {
            assert!(fetch_size("fetch_size", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn paging_tokens_round_trip() {
        let state = [0u8, 1, 254, 255, 63];
        let token = paging_token(&state);
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(token).ok().as_deref(),
            Some(&state[..])
        );
    }
}
