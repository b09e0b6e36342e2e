//! `ClusterConfig`: every setting of `aiocql.AsyncCluster`, validated here and only here, and the
//! `SessionBuilder` made from it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use scylla::client::execution_profile::ExecutionProfileHandle;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::Compression;

use super::profile::{ExecutionProfile, ProfileSettings, DEFAULT_PROFILE};
use crate::errors::{DriverError, DriverResult};
use crate::interop::names::python_type_name;
use crate::interop::{args, imports};
use crate::policies::load_balancing::balancing;
use crate::policies::retry::retry_policy;
use crate::policies::speculative::speculative_policy;

/// Settings for `connect()`; built by `aiocql.AsyncCluster`, which passes its arguments through.
#[pyclass(module = "aiocql._native", frozen)]
pub(crate) struct ClusterConfig {
    contact_points: Vec<String>,
    connect_timeout: Duration,
    credentials: Option<(String, String)>,
    compression: Option<Compression>,
    prepared_cache_size: usize,
    /// `{(keyspace, type): class}` shared with `AsyncCluster.register_user_type`.
    user_types: Option<Arc<Py<PyDict>>>,
    profiles: Profiles,
    /// None: no heartbeats on idle connections.
    heartbeat_interval: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    /// None: DDL does not wait for schema agreement.
    schema_agreement_wait: Option<Duration>,
    control_connection_timeout: Option<Duration>,
    /// `ssl_options`, made into the client configuration every connection uses.
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// The default profile and the named ones.
#[derive(Clone)]
pub(crate) struct Profiles {
    pub default: ProfileSettings,
    pub named: Vec<(String, ProfileSettings)>,
}

/// Every option `AsyncCluster` takes besides `contact_points` and `port`.
const OPTIONS: &[&str] = &[
    "auth_provider",
    "compression",
    "connect_timeout",
    "control_connection_timeout",
    "default_retry_policy",
    "execution_profiles",
    "idle_heartbeat_interval",
    "idle_heartbeat_timeout",
    "load_balancing_policy",
    "max_schema_agreement_wait",
    "password",
    "prepared_cache_size",
    "protocol_version",
    "request_timeout",
    "retry_policy",
    "speculative_execution_policy",
    "ssl_options",
    "username",
];

/// Options of cassandra-driver or async-cassandra that aiocql cannot honour, and what to do
/// instead; each raises rather than being silently dropped.
const REFUSED: &[(&str, &str)] = &[
    (
        "ssl_context",
        "aiocql's TLS runs in Rust, which cannot use a Python ssl.SSLContext; give the same \
         files as ssl_options={'ca_certs': 'ca.pem', 'certfile': 'client.pem', 'keyfile': \
         'client.key'} (docs/security.md)",
    ),
    (
        "reconnection_policy",
        "aiocql reconnects each node's pool with exponential backoff from 50 ms to 10 s \
         (jitter +-15%), which the Rust driver does not let applications change; remove it",
    ),
    (
        "executor_threads",
        "aiocql runs no executor threads (all I/O is asynchronous); remove it",
    ),
];

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
    args::number(value)
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

/// Reads `options` (the keyword arguments of `AsyncCluster`), refusing unknown ones.
struct Options<'py> {
    given: Bound<'py, PyDict>,
}

impl<'py> Options<'py> {
    fn new(given: Option<Bound<'py, PyDict>>, py: Python<'py>) -> DriverResult<Self> {
        let given = given.unwrap_or_else(|| PyDict::new(py));
        for key in given.keys() {
            let name: String = key
                .extract()
                .map_err(|_| invalid(format!("option names must be str, got {}", repr(&key))))?;
            if OPTIONS.contains(&name.as_str()) {
                continue;
            }
            if let Some((_, instead)) = REFUSED.iter().find(|(refused, _)| *refused == name) {
                return Err(invalid(format!("{name} is not supported: {instead}")));
            }
            return Err(invalid(format!(
                "unknown option {name:?}; AsyncCluster accepts contact_points, port, {}",
                OPTIONS.join(", ")
            )));
        }
        Ok(Options { given })
    }

    /// The option's value, None when it was not given or given as None.
    fn get(&self, name: &str) -> Option<Bound<'py, PyAny>> {
        self.given
            .get_item(name)
            .ok()
            .flatten()
            .filter(|v| !v.is_none())
    }

    fn was_given(&self, name: &str) -> bool {
        self.given.contains(name).unwrap_or(false)
    }

    fn string(&self, name: &str) -> DriverResult<Option<String>> {
        self.get(name)
            .map(|v| {
                v.extract::<String>()
                    .map_err(|_| invalid(format!("{name} must be a str, got {}", repr(&v))))
            })
            .transpose()
    }
}

/// `compression`: None/False, True (lz4), "lz4" or "snappy".
fn compression(value: Option<Bound<'_, PyAny>>) -> DriverResult<Option<Compression>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_instance_of::<PyBool>() {
        return Ok(value
            .is_truthy()
            .unwrap_or(false)
            .then_some(Compression::Lz4));
    }
    match value.extract::<String>().as_deref() {
        Ok("lz4") => Ok(Some(Compression::Lz4)),
        Ok("snappy") => Ok(Some(Compression::Snappy)),
        _ => Err(invalid(format!(
            "compression must be None, False, True (lz4), 'lz4' or 'snappy', got {}",
            repr(&value)
        ))),
    }
}

/// The default profile and the named ones, from the legacy options or `execution_profiles`.
fn profiles(options: &Options<'_>) -> DriverResult<Profiles> {
    let request_timeout = if options.was_given("request_timeout") {
        options
            .get("request_timeout")
            .map(|t| seconds_setting("request_timeout", &t))
            .transpose()?
    } else {
        Some(DEFAULT_REQUEST_TIMEOUT)
    };
    let retry = match (
        options.get("default_retry_policy"),
        options.get("retry_policy"),
    ) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "give default_retry_policy or retry_policy (the same setting), not both".into(),
            ))
        }
        (Some(policy), None) => Some(retry_policy(&policy, "default_retry_policy")?),
        (None, Some(policy)) => Some(retry_policy(&policy, "retry_policy")?),
        (None, None) => None,
    };
    let balancing = options
        .get("load_balancing_policy")
        .map(|p| balancing(&p, "load_balancing_policy"))
        .transpose()?;
    let speculative = speculative_policy(
        options.get("speculative_execution_policy").as_ref(),
        "speculative_execution_policy",
    )?;
    let mut default = ProfileSettings::defaults(request_timeout);
    let Some(given) = options.get("execution_profiles") else {
        default.balancing = balancing.unwrap_or_default();
        if let Some(retry) = retry {
            default.retry = retry;
        }
        default.speculative = speculative;
        return Ok(Profiles {
            default,
            named: Vec::new(),
        });
    };
    let legacy: Vec<&str> = [
        "load_balancing_policy",
        "default_retry_policy",
        "retry_policy",
        "speculative_execution_policy",
        "request_timeout",
    ]
    .into_iter()
    .filter(|name| options.was_given(name))
    .collect();
    if !legacy.is_empty() {
        return Err(invalid(format!(
            "{} cannot be combined with execution_profiles: set them on \
             ExecutionProfile(...) instead (the EXEC_PROFILE_DEFAULT one for every call)",
            legacy.join(", ")
        )));
    }
    let profiles = given.cast::<PyDict>().map_err(|_| {
        invalid(format!(
            "execution_profiles must be a dict of profile name -> ExecutionProfile, got {}",
            repr(&given)
        ))
    })?;
    let mut named = Vec::new();
    for (name, profile) in profiles.iter() {
        let name: String = name.extract().map_err(|_| {
            invalid(format!(
                "execution_profiles keys must be str (or EXEC_PROFILE_DEFAULT), got {}",
                repr(&name)
            ))
        })?;
        let profile = profile.cast::<ExecutionProfile>().map_err(|_| {
            invalid(format!(
                "execution_profiles[{name:?}] must be an ExecutionProfile, got {}",
                repr(&profile)
            ))
        })?;
        let settings = profile.get().settings().clone();
        if name == DEFAULT_PROFILE {
            default = settings;
        } else {
            named.push((name, settings));
        }
    }
    Ok(Profiles { default, named })
}

/// `AsyncCluster`'s default `request_timeout`, in seconds (cassandra-driver's).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An optional number of seconds where 0 (or None) turns the feature off.
fn seconds_or_off(
    options: &Options<'_>,
    name: &str,
    default: Duration,
) -> DriverResult<Option<Duration>> {
    if !options.was_given(name) {
        return Ok(Some(default));
    }
    match options.get(name) {
        None => Ok(None),
        Some(value)
            if value.extract::<f64>().is_ok_and(|s| s == 0.0)
                && !value.is_instance_of::<PyBool>() =>
        {
            Ok(None)
        }
        Some(value) => seconds_setting(name, &value).map(Some),
    }
}

#[pymethods]
impl ClusterConfig {
    #[new]
    #[pyo3(signature = (contact_points, port, *, user_types=None, **options))]
    fn new(
        py: Python<'_>,
        contact_points: Option<Bound<'_, PyAny>>,
        port: Bound<'_, PyAny>,
        user_types: Option<Bound<'_, PyDict>>,
        options: Option<Bound<'_, PyDict>>,
    ) -> DriverResult<Self> {
        let options = Options::new(options, py)?;
        let port = int_setting("port", &port, 1..=65535, "an int from 1 to 65535")?;
        let port =
            u16::try_from(port).map_err(|_| invalid(format!("port out of range: {port}")))?;
        let contact_points = self::contact_points(contact_points.as_ref(), port)?;
        if let Some(version) = options.get("protocol_version") {
            if int_setting("protocol_version", &version, 4..=4, "4").is_err() {
                return Err(invalid(format!(
                    "protocol_version={} is not supported: aiocql speaks native protocol v4 \
                     (with Cassandra 3.0 to 5.0 and ScyllaDB); pass None or 4",
                    repr(&version)
                )));
            }
        }
        let connect_timeout = match options.get("connect_timeout") {
            Some(value) => seconds_setting("connect_timeout", &value)?,
            None if options.was_given("connect_timeout") => {
                return Err(invalid(
                    "connect_timeout must be a positive number of seconds, got None".into(),
                ))
            }
            None => DEFAULT_CONNECT_TIMEOUT,
        };
        let prepared_cache_size = match options.get("prepared_cache_size") {
            Some(size) => int_setting(
                "prepared_cache_size",
                &size,
                0..=i64::MAX,
                "a non-negative int",
            )?,
            None => DEFAULT_PREPARED_CACHE_SIZE,
        };
        let mut credentials = match (options.string("username")?, options.string("password")?) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "username and password must be given together".into(),
                ))
            }
        };
        if let Some(provider) = options.get("auth_provider") {
            if credentials.is_some() {
                return Err(invalid(
                    "give auth_provider or username and password, not both".into(),
                ));
            }
            credentials = Some(auth_credentials(py, &provider)?);
        }
        Ok(ClusterConfig {
            contact_points,
            connect_timeout,
            credentials,
            compression: compression(options.get("compression"))?,
            prepared_cache_size: usize::try_from(prepared_cache_size).unwrap_or(usize::MAX),
            user_types: user_types.map(|d| Arc::new(d.unbind())),
            profiles: profiles(&options)?,
            heartbeat_interval: seconds_or_off(
                &options,
                "idle_heartbeat_interval",
                Duration::from_secs(30),
            )?,
            heartbeat_timeout: seconds_or_off(
                &options,
                "idle_heartbeat_timeout",
                Duration::from_secs(30),
            )?,
            schema_agreement_wait: seconds_or_off(
                &options,
                "max_schema_agreement_wait",
                Duration::from_secs(10),
            )?,
            control_connection_timeout: seconds_or_off(
                &options,
                "control_connection_timeout",
                Duration::from_secs(2),
            )?,
            tls: options
                .get("ssl_options")
                .map(|o| super::tls::client_config(&o))
                .transpose()?,
        })
    }

    /// The contact points as `host:port`.
    #[getter]
    fn contact_points(&self) -> Vec<String> {
        self.contact_points.clone()
    }
}

/// `AsyncCluster`'s default `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `AsyncCluster`'s default `prepared_cache_size`.
const DEFAULT_PREPARED_CACHE_SIZE: i64 = 512;

/// The username and password of an `aiocql.auth.PlainTextAuthProvider`.
fn auth_credentials(py: Python<'_>, provider: &Bound<'_, PyAny>) -> DriverResult<(String, String)> {
    let class = imports::plain_text_auth_provider_class(py).map_err(|e| invalid(e.to_string()))?;
    if !provider.is_instance(&class).unwrap_or(false) {
        return Err(invalid(format!(
            "auth_provider must be a PlainTextAuthProvider(username, password), got {}",
            python_type_name(provider)
        )));
    }
    let field = |name: &str| {
        provider
            .getattr(name)
            .and_then(|v| v.extract::<String>())
            .map_err(|_| invalid(format!("auth_provider.{name} must be a str")))
    };
    Ok((field("username")?, field("password")?))
}

impl ClusterConfig {
    pub(crate) fn contact_point_list(&self) -> &[String] {
        &self.contact_points
    }

    /// How long `connect()` may take when the call gives no `timeout=`.
    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    pub(crate) fn prepared_cache_size(&self) -> usize {
        self.prepared_cache_size
    }

    pub(crate) fn user_types(&self) -> Option<Arc<Py<PyDict>>> {
        self.user_types.clone()
    }

    /// The execution profiles, to be made into the crate's profiles at connect.
    pub(crate) fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// The driver's session builder for these settings, connecting within `deadline`, using
    /// `keyspace` (a validated name, and whether it is case-sensitive) if given, with
    /// `default_profile` as the session's default execution profile.
    pub(crate) fn session_builder(
        &self,
        keyspace: Option<(String, bool)>,
        deadline: Duration,
        default_profile: ExecutionProfileHandle,
    ) -> SessionBuilder {
        let mut builder = SessionBuilder::new()
            .known_nodes(&self.contact_points)
            .connection_timeout(self.connect_timeout.min(deadline))
            .compression(self.compression)
            .default_execution_profile_handle(default_profile);
        match self.schema_agreement_wait {
            Some(wait) => builder = builder.schema_agreement_timeout(wait),
            None => builder = builder.auto_await_schema_agreement(false),
        }
        builder.config.keepalive_interval = self.heartbeat_interval;
        builder.config.keepalive_timeout = self.heartbeat_timeout;
        builder.config.metadata_request_clientside_timeout = self.control_connection_timeout;
        if let Some(tls) = &self.tls {
            builder = builder.tls_context(Some(tls.clone()));
        }
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
