//! Opening a driver session from a cluster's configuration, within a deadline.

use std::time::Duration;

use scylla::client::session::Session as ScyllaSession;

use super::metadata::read_release_versions;
use super::profiles::{provisional_default, resolve, SessionProfiles};
use crate::config::cluster::ClusterConfig;
use crate::errors::{DriverError, DriverResult, HostError};
use crate::metadata::hosts::ReleaseVersions;

/// Resolves the contact points, connects the pools, optionally `USE`s `keyspace` (validated,
/// and whether it is case-sensitive) and makes the session's execution profiles;
/// `NoHostAvailable` when no contact point answers within `deadline`, `ConfigurationError`
/// when a policy names a datacenter the cluster does not have.
pub(crate) async fn connect(
    config: &ClusterConfig,
    keyspace: Option<(String, bool)>,
    deadline: Duration,
) -> DriverResult<(ScyllaSession, SessionProfiles, ReleaseVersions)> {
    let contact_points = config.contact_point_list();
    let default_profile = provisional_default(config.profiles());
    let builder = config.session_builder(keyspace, deadline, default_profile.clone());
    let began = tokio::time::Instant::now();
    let timed_out = |stage: &str| DriverError::NoHostAvailable {
        message: format!(
            "{stage} within {:.3} s: {}",
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
    };
    let session = match tokio::time::timeout(deadline, builder.build()).await {
        Ok(Ok(session)) => session,
        Ok(Err(err)) => return Err(DriverError::from_new_session(err, contact_points)),
        Err(_) => return Err(timed_out("no contact point answered")),
    };
    // Finding the local datacenter may resolve the contact points' names again: the same
    // deadline bounds it.
    let left = deadline.saturating_sub(began.elapsed());
    let resolving = resolve(&session, config.profiles(), contact_points, default_profile);
    let profiles = match tokio::time::timeout(left, resolving).await {
        Ok(profiles) => profiles?,
        Err(_) => {
            return Err(timed_out(
                "the contact points' datacenter (the local one) was not known",
            ))
        }
    };
    // Informational (Host.release_version): a failure leaves the versions unknown rather than
    // failing connect(); refresh_nodes() reads them again and reports what fails.
    let left = deadline.saturating_sub(began.elapsed());
    let versions = tokio::time::timeout(left, read_release_versions(&session))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Ok((session, profiles, versions))
}
