//! `ClusterConfig`: every setting of `aiocql.AsyncCluster`, validated here and only here, and the
//! `SessionBuilder` made from it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::Compression;
use scylla::statement::Consistency;

use crate::errors::{DriverError, DriverResult};
use crate::interop::args;

/// Settings for `connect()`; built by `aiocql.AsyncCluster`, which passes its arguments through.
#[pyclass(module = "aiocql._native", frozen)]
pub(crate) struct ClusterConfig {
    contact_points: Vec<String>,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    credentials: Option<(String, String)>,
    compression: Option<Compression>,
    prepared_cache_size: usize,
    /// `{(keyspace, type): class}` shared with `AsyncCluster.register_user_type`.
    user_types: Option<Arc<Py<PyDict>>>,
}

fn invalid(message: String) -> DriverError {
    DriverError::Configuration(message)
}

/// `host`, `host:port`, `v6addr`, `[v6addr]:port` -> `host:port` as the Rust driver wants.
fn normalize_contact_point(point: &str, port: u16) -> DriverResult<String> {
    let point = point.trim();
    if point.is_empty() {
        return Err(invalid("contact_points contains an empty host".into()));
    }
    if point.starts_with('[') {
        return Ok(if point.contains("]:") {
            point.to_owned()
        } else {
            format!("{point}:{port}")
        });
    }
    if let Ok(IpAddr::V6(addr)) = point.parse::<IpAddr>() {
        return Ok(format!("[{addr}]:{port}"));
    }
    match point.rsplit_once(':') {
        Some((host, p)) if !host.contains(':') => {
            p.parse::<u16>().map_err(|_| {
                invalid(format!("contact point {point:?} has an invalid port {p:?}"))
            })?;
            Ok(point.to_owned())
        }
        _ => Ok(format!("{point}:{port}")),
    }
}

fn repr(value: &Bound<'_, PyAny>) -> String {
    value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An int setting (`bool` refused) within `range`.
fn int_setting(
    name: &str,
    value: &Bound<'_, PyAny>,
    range: std::ops::RangeInclusive<i64>,
    expected: &str,
) -> DriverResult<i64> {
    let refused = || invalid(format!("{name} must be {expected}, got {}", repr(value)));
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(refused());
    }
    value
        .extract::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(refused)
}

/// A number of seconds (`bool` refused), positive and finite.
fn seconds_setting(name: &str, value: &Bound<'_, PyAny>) -> DriverResult<Duration> {
    let number = !value.is_instance_of::<PyBool>()
        && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>());
    let seconds = if number {
        value.extract::<f64>().ok()
    } else {
        None
    };
    seconds
        .ok_or_else(|| {
            invalid(format!(
                "{name} must be positive: a finite number of seconds, got {}",
                repr(value)
            ))
        })
        .and_then(|s| args::seconds(name, s).map_err(invalid))
}

fn contact_points(points: Option<&Bound<'_, PyAny>>, port: u16) -> DriverResult<Vec<String>> {
    let Some(points) = points.filter(|p| !p.is_none()) else {
        return normalize_contact_point("127.0.0.1", port).map(|p| vec![p]);
    };
    if let Ok(text) = points.cast::<PyString>() {
        return Err(invalid(format!(
            "contact_points must be a list of hosts, not a str; write [{}]",
            repr(text.as_any())
        )));
    }
    let refused = |shown: String| {
        invalid(format!(
            "contact_points must be a non-empty list of host strings, got {shown}"
        ))
    };
    let items: Vec<Bound<'_, PyAny>> = points
        .try_iter()
        .and_then(|items| items.collect())
        .map_err(|_| refused(repr(points)))?;
    let hosts: Vec<String> = items
        .iter()
        .map(|item| item.extract::<String>())
        .collect::<PyResult<_>>()
        .map_err(|_| refused(format!("{items:?}")))?;
    if hosts.is_empty() {
        return Err(refused("[]".into()));
    }
    hosts
        .iter()
        .map(|host| normalize_contact_point(host, port))
        .collect()
}

#[pymethods]
impl ClusterConfig {
    #[new]
    #[pyo3(signature = (
        contact_points,
        port,
        *,
        connect_timeout,
        request_timeout,
        username=None,
        password=None,
        compression=None,
        prepared_cache_size,
        protocol_version=None,
        user_types=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        contact_points: Option<Bound<'_, PyAny>>,
        port: Bound<'_, PyAny>,
        connect_timeout: Bound<'_, PyAny>,
        request_timeout: Option<Bound<'_, PyAny>>,
        username: Option<String>,
        password: Option<String>,
        compression: Option<Bound<'_, PyAny>>,
        prepared_cache_size: Bound<'_, PyAny>,
        protocol_version: Option<Bound<'_, PyAny>>,
        user_types: Option<Bound<'_, PyDict>>,
    ) -> DriverResult<Self> {
        let port = int_setting("port", &port, 1..=65535, "an int from 1 to 65535")?;
        let port =
            u16::try_from(port).map_err(|_| invalid(format!("port out of range: {port}")))?;
        let contact_points = self::contact_points(contact_points.as_ref(), port)?;
        if let Some(version) = protocol_version.filter(|v| !v.is_none()) {
            if int_setting("protocol_version", &version, 4..=4, "4").is_err() {
                return Err(invalid(format!(
                    "protocol_version={} is not supported: aiocql speaks native protocol v4 \
                     (with Cassandra 3.0 to 5.0 and ScyllaDB); pass None or 4",
                    repr(&version)
                )));
            }
        }
        let connect_timeout = seconds_setting("connect_timeout", &connect_timeout)?;
        let request_timeout = request_timeout
            .filter(|t| !t.is_none())
            .map(|t| seconds_setting("request_timeout", &t))
            .transpose()?;
        let prepared_cache_size = int_setting(
            "prepared_cache_size",
            &prepared_cache_size,
            0..=i64::MAX,
            "a non-negative int",
        )?;
        let credentials = match (username, password) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "username and password must be given together".into(),
                ))
            }
        };
        let compression = match compression.filter(|c| !c.is_none()) {
            None => None,
            Some(c) => match c.extract::<String>().as_deref() {
                Ok("lz4") => Some(Compression::Lz4),
                Ok("snappy") => Some(Compression::Snappy),
                _ => {
                    return Err(invalid(format!(
                        "compression must be None, 'lz4' or 'snappy', got {}",
                        repr(&c)
                    )))
                }
            },
        };
        Ok(ClusterConfig {
            contact_points,
            connect_timeout,
            request_timeout,
            credentials,
            compression,
            prepared_cache_size: usize::try_from(prepared_cache_size).unwrap_or(usize::MAX),
            user_types: user_types.map(|d| Arc::new(d.unbind())),
        })
    }

    /// The contact points as `host:port`.
    #[getter]
    fn contact_points(&self) -> Vec<String> {
        self.contact_points.clone()
    }
}

impl ClusterConfig {
    pub(crate) fn contact_point_list(&self) -> &[String] {
        &self.contact_points
    }

    /// How long `connect()` may take when the call gives no `timeout=`.
    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The default `timeout=` of a session's calls.
    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    pub(crate) fn prepared_cache_size(&self) -> usize {
        self.prepared_cache_size
    }

    pub(crate) fn user_types(&self) -> Option<Arc<Py<PyDict>>> {
        self.user_types.clone()
    }

    /// The driver's session builder for these settings, connecting within `deadline`, using
    /// `keyspace` (a validated name, and whether it is case-sensitive) if given.
    pub(crate) fn session_builder(
        &self,
        keyspace: Option<(String, bool)>,
        deadline: Duration,
    ) -> SessionBuilder {
        let profile = ExecutionProfile::builder()
            // cassandra-driver's default, so that migrating code keeps its consistency.
            .consistency(Consistency::LocalOne)
            // Per-call deadlines are enforced around the whole call (all pages, retries included).
            .request_timeout(None)
            .build();
        let mut builder = SessionBuilder::new()
            .known_nodes(&self.contact_points)
            .connection_timeout(self.connect_timeout.min(deadline))
            .compression(self.compression)
            .default_execution_profile_handle(profile.into_handle());
        if let Some((user, password)) = &self.credentials {
            builder = builder.user(user.clone(), password.clone());
        }
        if let Some((name, case_sensitive)) = keyspace {
            builder = builder.use_keyspace(name, case_sensitive);
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_contact_point;

    #[test]
    fn contact_points_get_the_default_port() {
        pyo3::Python::initialize();
        let n = |p: &str| normalize_contact_point(p, 9042).ok();
        assert_eq!(n("127.0.0.1").as_deref(), Some("127.0.0.1:9042"));
        assert_eq!(n("db.local:9142").as_deref(), Some("db.local:9142"));
        assert_eq!(n("::1").as_deref(), Some("[::1]:9042"));
        assert_eq!(n("[::1]:9142").as_deref(), Some("[::1]:9142"));
        assert_eq!(n("db:notaport"), None);
        assert_eq!(n(" "), None);
    }
}
