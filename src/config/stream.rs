//! `StreamConfig`, read and validated once when `execute_stream` is called.

use pyo3::prelude::*;

use crate::errors::{type_error, value_error};
use crate::interop::args;
use crate::interop::names::python_type_name;

/// `StreamConfig.fetch_size` when it is None (async-cassandra's default).
const DEFAULT_STREAM_PAGE_SIZE: i32 = 1000;

/// How `execute_stream` pages through a result.
pub(crate) struct StreamSettings {
    /// None without a `StreamConfig`: the statement's own `fetch_size`, else 5000.
    pub fetch_size: Option<i32>,
    pub max_pages: Option<usize>,
    pub page_callback: Option<Py<PyAny>>,
    pub timeout_seconds: Option<f64>,
}

impl StreamSettings {
    /// Reads and validates a `StreamConfig` (or any object with its four attributes).
    pub(crate) fn from_config(config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut settings = StreamSettings {
            fetch_size: None,
            max_pages: None,
            page_callback: None,
            timeout_seconds: None,
        };
        let Some(config) = config.filter(|c| !c.is_none()) else {
            return Ok(settings);
        };
        let field = |name: &str| {
            config.getattr(name).map_err(|_| {
                type_error(format!(
                    "stream_config must be an aiocql.StreamConfig, got {} (no attribute {name:?})",
                    python_type_name(config)
                ))
            })
        };
        for name in [
            "fetch_size",
            "max_pages",
            "page_callback",
            "timeout_seconds",
        ] {
            field(name)?;
        }
        let count =
            |name: &str| args::positive_int_attr(config, name, &format!("stream_config.{name}"));
        settings.fetch_size = Some(match count("fetch_size")? {
            Some(size) => args::fetch_size("stream_config.fetch_size", size)?,
            None => DEFAULT_STREAM_PAGE_SIZE,
        });
        settings.max_pages = count("max_pages")?.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let callback = field("page_callback")?;
        if !callback.is_none() {
            if !callback.is_callable() {
                return Err(type_error(format!(
                    "stream_config.page_callback must be callable or None, got {}",
                    python_type_name(&callback)
                )));
            }
            settings.page_callback = Some(callback.unbind());
        }
        let timeout = field("timeout_seconds")?;
        if !timeout.is_none() {
            let seconds: f64 = timeout.extract().map_err(|_| {
                type_error(format!(
                    "stream_config.timeout_seconds must be a number of seconds or None, got {}",
                    python_type_name(&timeout)
                ))
            })?;
            args::seconds("stream_config.timeout_seconds", seconds).map_err(value_error)?;
            settings.timeout_seconds = Some(seconds);
        }
        Ok(settings)
    }
}
