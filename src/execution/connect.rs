//! Opening a driver session from a cluster's configuration, within a deadline.

use std::time::Duration;

use scylla::client::session::Session as ScyllaSession;

use super::profiles::{provisional_default, resolve, SessionProfiles};
use crate::config::cluster::ClusterConfig;
use crate::errors::{DriverError, DriverResult, HostError};

/// Resolves the contact points, connects the pools, optionally `USE`s `keyspace` (validated,
/// and whether it is case-sensitive) and makes the session's execution profiles;
/// `NoHostAvailable` when no contact point answers within `deadline`, `ConfigurationError`
/// when a policy names a datacenter the cluster does not have.
pub(crate) async fn connect(
    config: &ClusterConfig,
    keyspace: Option<(String, bool)>,
    deadline: Duration,
) -> DriverResult<(ScyllaSession, SessionProfiles)> {
    let contact_points = config.contact_point_list();
    let default_profile = provisional_default(config.profiles());
    let builder = config.session_builder(keyspace, deadline, default_profile.clone());
    match tokio::time::timeout(deadline, builder.build()).await {
        Ok(Ok(session)) => {
            let profiles =
                resolve(&session, config.profiles(), contact_points, default_profile).await?;
            Ok((session, profiles))
        }
        Ok(Err(err)) => Err(DriverError::from_new_session(err, contact_points)),
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
    }
}
