//! How Python values are named in error messages.

use pyo3::prelude::*;

/// The qualified name of the value's type: `str`, `UUID`, `Decimal`.
pub(crate) fn python_type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// `str ('abc')`: the Python type and a short repr, for error messages.
pub(crate) fn describe(value: &Bound<'_, PyAny>) -> String {
    let type_name = python_type_name(value);
    let repr = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    let short: String = if repr.chars().count() > 60 {
        let mut s: String = repr.chars().take(57).collect();
        s.push_str("...");
        s
    } else {
        repr
    };
    format!("{type_name} ({short})")
}
