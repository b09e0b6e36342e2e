//! The producer of host events: a task that compares the driver's view of the nodes every
//! [`POLL_INTERVAL`] with the last one it saw, and sends each change. (The consumer is
//! `metadata::events`.)
//!
//! Polling, because the crate's host listener is unstable (`unstable-host-listener`); its
//! view is cheap to read (an atomic load, and each node's pool state), and the task costs
//! nothing on the request path. Up and down are the crate's own notion: a node is up while
//! its connection pool has at least one open connection.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::mpsc::{self, Sender};
use tokio::time::MissedTickBehavior;

use super::core::SessionCore;
use crate::bridge::runtime::{self, AbortOnDrop};
use crate::errors::DriverError;
use crate::metadata::events::HostEvents;
use crate::metadata::hosts::{changes, hosts, HostChange, HostInfo};

/// How often the driver's view of the nodes is compared with the last one.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Events not yet taken by the consumer; when it is full the watcher waits, and changes in the
/// meantime are folded into the next comparison (so only intermediate flaps can be missed).
const BUFFER: usize = 256;

/// Host events of `core`'s session from now on. `ConnectionClosed` if it is closed.
pub(crate) fn watch(core: &Arc<SessionCore>) -> Result<HostEvents, pyo3::PyErr> {
    let baseline = hosts(&core.live()?.get_cluster_state(), &core.release_versions());
    let (sender, receiver) = mpsc::channel(BUFFER);
    // Not counted as a request in flight: it runs as long as someone listens.
    let task = runtime::handle()?.spawn(run(Arc::downgrade(core), sender, baseline));
    Ok(HostEvents::new(receiver, AbortOnDrop(task.abort_handle())))
}

/// The driver's view of the nodes, until the session is gone or closed.
fn current(core: &Weak<SessionCore>) -> Result<Vec<HostInfo>, DriverError> {
    let core = core
        .upgrade()
        .ok_or(DriverError::Closed("Session is closed"))?;
    let state = core.live()?.get_cluster_state();
    Ok(hosts(&state, &core.release_versions()))
}

async fn run(core: Weak<SessionCore>, sender: Sender<HostChange>, mut known: Vec<HostInfo>) {
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = sender.closed() => return,
        }
        // A closed session ends the stream (the sender is dropped).
        let Ok(now) = current(&core) else { return };
        for change in changes(&known, &now) {
            if sender.send(change).await.is_err() {
                return;
            }
        }
        known = now;
    }
}
