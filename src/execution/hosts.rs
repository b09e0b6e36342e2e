//! `NoHostAvailable` names every node: when the driver ran out of nodes without trying each
//! (every pool broken, or an empty plan), the cluster's view of each node is listed instead.

use scylla::client::session::Session as ScyllaSession;

use crate::errors::{DriverError, HostError};

/// `error`, with each node of the cluster and its state when it is a `NoHostAvailable` that
/// lists no host.
pub(crate) fn with_host_errors(session: &ScyllaSession, error: DriverError) -> DriverError {
    match error {
        DriverError::NoHostAvailable { message, errors } if errors.is_empty() => {
            let errors = session
                .get_cluster_state()
                .get_nodes_info()
                .iter()
                .map(|node| {
                    let address = format!("{}:{}", node.address.ip(), node.address.port());
                    let state = if node.is_connected() {
                        "connected, but not in this request's plan (load-balancing policy)"
                    } else {
                        "no open connection: the node is down or unreachable (reconnecting)"
                    };
                    (address, HostError::Connection(state.into()))
                })
                .collect();
            DriverError::NoHostAvailable { message, errors }
        }
        other => other,
    }
}
