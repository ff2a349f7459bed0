//! A short-lived cache of `GET /api/v1/audit` answers, keyed by the query string. The audit log only changes
//! when its projection applies events: the projection bumps a generation in this process
//! (`audit::projection::generation`), which empties the cache at once, and an entry is used for at most
//! [`TTL`] in any case, which bounds staleness when another process ran the projection. Pages by `before` are
//! immutable anyway; the first page is at most a second behind, and live updates come over SSE.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::body::Bytes;

use super::projection as audit_log;

/// How long an answer may be served from the cache.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; beyond, the cache is emptied (distinct queries must not grow memory without bound).
const MAX_ENTRIES: usize = 512;

#[derive(Debug)]
struct Entry {
    generation: u64,
    stored: Instant,
    body: Bytes,
}

/// The cache; one per app.
#[derive(Debug, Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl PageCache {
    /// The cached body for `key`, if still current.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        let generation = audit_log::generation();
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.stored.elapsed() < TTL).then(|| entry.body.clone())
    }

    /// Stores `body` for `key`, computed at `generation` (read before the query ran, so a change that landed
    /// meanwhile makes the entry stale rather than hiding the change).
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { generation, stored: Instant::now(), body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projected_event_makes_every_entry_stale() {
        let cache = PageCache::default();
        let generation = audit_log::generation();
        cache.put("limit=50".into(), generation, Bytes::from_static(b"[]"));
        assert_eq!(cache.get("limit=50").as_deref(), Some(&b"[]"[..]));
        assert!(cache.get("limit=10").is_none());
        audit_log::invalidate();
        assert!(cache.get("limit=50").is_none());
    }
}
