//! The prepared statements of parameterised query strings, so each is prepared once per session.

use std::collections::HashMap;

use scylla::client::session::Session as ScyllaSession;
use scylla::statement::prepared::PreparedStatement as ScyllaPrepared;

/// A statement's cache key: the session's keyspace when it was prepared, and its text.
pub(crate) type CacheKey = (Option<String>, String);

/// The key of `query` prepared in `session`'s current keyspace.
pub(crate) fn cache_key(session: &ScyllaSession, query: &str) -> CacheKey {
    (
        session.get_keyspace().map(|k| k.as_str().to_owned()),
        query.to_owned(),
    )
}

/// Prepared statements by [`CacheKey`]. Least recently used entries go first.
pub(crate) struct PreparedCache {
    capacity: usize,
    tick: u64,
    entries: HashMap<CacheKey, (ScyllaPrepared, u64)>,
}

impl PreparedCache {
    pub(crate) fn new(capacity: usize) -> Self {
        PreparedCache {
            capacity,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    pub(crate) fn get(&mut self, key: &CacheKey) -> Option<ScyllaPrepared> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(prepared, used)| {
            *used = tick;
            prepared.clone()
        })
    }

    pub(crate) fn insert(&mut self, key: CacheKey, prepared: ScyllaPrepared) {
        if self.capacity == 0 {
            return;
        }
        self.tick += 1;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (prepared, self.tick));
    }
}
