//! Opening a driver session from a cluster's configuration, within a deadline.

use std::time::Duration;

use scylla::client::session::Session as ScyllaSession;

use crate::config::cluster::ClusterConfig;
use crate::errors::{DriverError, DriverResult, HostError};

/// Resolves the contact points, connects the pools and optionally `USE`s `keyspace` (validated,
/// and whether it is case-sensitive); `NoHostAvailable` when no contact point answers within
/// `deadline`.
pub(crate) async fn connect(
    config: &ClusterConfig,
    keyspace: Option<(String, bool)>,
    deadline: Duration,
) -> DriverResult<ScyllaSession> {
    let contact_points = config.contact_point_list();
    let builder = config.session_builder(keyspace, deadline);
    match tokio::time::timeout(deadline, builder.build()).await {
        Ok(Ok(session)) => Ok(session),
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
