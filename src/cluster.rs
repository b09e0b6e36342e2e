//! Connecting: from validated configuration to a live `AsyncSession`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::Compression;
use scylla::frame::types::Consistency;

use crate::errors::{value_error, DriverError, HostError};
use crate::runtime::{completer, PendingRequest};
use crate::session::{parse_timeout, validate_keyspace, Session};

/// Settings for `connect()`; built and validated by `aiocql.AsyncCluster`.
#[pyclass(module = "aiocql._native", frozen)]
pub struct ClusterConfig {
    contact_points: Vec<String>,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    credentials: Option<(String, String)>,
    compression: Option<Compression>,
    prepared_cache_size: usize,
    /// `{(keyspace, type): class}` shared with `AsyncCluster.register_user_type`.
    user_types: Option<Arc<Py<PyDict>>>,
}

/// `host`, `host:port`, `v6addr`, `[v6addr]:port` -> `host:port` as the Rust driver wants.
fn normalize_contact_point(point: &str, port: u16) -> PyResult<String> {
    let point = point.trim();
    if point.is_empty() {
        return Err(value_error("contact_points contains an empty host"));
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
                value_error(format!("contact point {point:?} has an invalid port {p:?}"))
            })?;
            Ok(point.to_owned())
        }
        _ => Ok(format!("{point}:{port}")),
    }
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
        prepared_cache_size=512,
        user_types=None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        contact_points: Vec<String>,
        port: u16,
        connect_timeout: f64,
        request_timeout: Option<f64>,
        username: Option<String>,
        password: Option<String>,
        compression: Option<&str>,
        prepared_cache_size: usize,
        user_types: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        if contact_points.is_empty() {
            return Err(value_error("contact_points must name at least one host"));
        }
        let contact_points = contact_points
            .iter()
            .map(|p| normalize_contact_point(p, port))
            .collect::<PyResult<Vec<_>>>()?;
        let connect_timeout = parse_timeout(Some(connect_timeout), None)?
            .ok_or_else(|| value_error("connect_timeout is required"))?;
        let request_timeout = parse_timeout(request_timeout, None)?;
        let credentials = match (username, password) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => return Err(value_error("username and password must be given together")),
        };
        let compression = match compression {
            None => None,
            Some("lz4") => Some(Compression::Lz4),
            Some("snappy") => Some(Compression::Snappy),
            Some(other) => {
                return Err(value_error(format!(
                    "compression must be None, 'lz4' or 'snappy', got {other:?}"
                )))
            }
        };
        Ok(ClusterConfig {
            contact_points,
            connect_timeout,
            request_timeout,
            credentials,
            compression,
            prepared_cache_size,
            user_types: user_types.map(|d| Arc::new(d.unbind())),
        })
    }

    /// The contact points as `host:port`.
    #[getter]
    fn contact_points(&self) -> Vec<String> {
        self.contact_points.clone()
    }
}

/// Opens a session: resolves the contact points, connects the pools, optionally `USE`s a
/// keyspace. Raises `NoHostAvailable` when no contact point answers within `timeout`.
#[pyfunction]
#[pyo3(signature = (config, keyspace=None, *, timeout=None))]
pub fn connect(
    config: &ClusterConfig,
    keyspace: Option<&str>,
    timeout: Option<f64>,
) -> PyResult<PendingRequest> {
    let deadline =
        parse_timeout(timeout, Some(config.connect_timeout))?.unwrap_or(config.connect_timeout);
    let keyspace = keyspace.map(validate_keyspace).transpose()?;
    let profile = ExecutionProfile::builder()
        // cassandra-driver's default, so that migrating code keeps its consistency.
        .consistency(Consistency::LocalOne)
        // Per-call deadlines are enforced around the whole call (all pages, retries included).
        .request_timeout(None)
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&config.contact_points)
        .connection_timeout(config.connect_timeout.min(deadline))
        .compression(config.compression)
        .default_execution_profile_handle(profile.into_handle());
    if let Some((user, password)) = &config.credentials {
        builder = builder.user(user.clone(), password.clone());
    }
    if let Some((name, case_sensitive)) = keyspace {
        builder = builder.use_keyspace(name, case_sensitive);
    }
    let contact_points = config.contact_points.clone();
    let request_timeout = config.request_timeout;
    let cache_size = config.prepared_cache_size;
    let user_types = config.user_types.clone();
    Ok(PendingRequest::from_work(async move {
        let result = match tokio::time::timeout(deadline, builder.build()).await {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(err)) => Err(DriverError::from_new_session(err, &contact_points)),
            Err(_) => Err(DriverError::NoHostAvailable {
                message: format!(
                    "no contact point answered within {:.3} s: {}",
                    deadline.as_secs_f64(),
                    contact_points.join(", ")
                ),
                errors: contact_points
                    .iter()
                    .map(|h| {
                        (
                            h.clone(),
                            HostError::Connection("connection timed out".into()),
                        )
                    })
                    .collect(),
            }),
        };
        completer(result, move |py, session| {
            Ok(Py::new(
                py,
                Session::new(session, request_timeout, cache_size, user_types),
            )?
            .into_any())
        })
    }))
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
