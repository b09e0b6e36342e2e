//! Cluster metadata as Python values (the `scylla` crate's `cluster` state, for Python): the
//! nodes (`Host`), the schema (keyspaces, tables, views, columns, user types), the token ring,
//! and host events.
//!
//! Everything here is a copy: no Python object holds the crate's `ClusterState` or `Node`s,
//! which would keep their connection pools open. What needs the driver's current view (the
//! replicas of a key) asks for it through [`snapshot::ClusterView`], which the execution layer
//! implements.
//!
//! Files, lowest first: `hosts`, `schema`, `snapshot`, `events`.

pub(crate) mod events;
pub(crate) mod hosts;
pub(crate) mod schema;
pub(crate) mod snapshot;
