//! One deployment of a site at a time, whatever the read model says. On PostgreSQL a session advisory lock keyed
//! by the site, held on a connection of its own that is detached from the pool, so a worker that dies releases it
//! with its connection; on SQLite (one process: the embedded profile) a lock in this process. The wait for
//! earlier deployments (`wait.rs`) puts deployments in the order they were asked for; this lock is what makes
//! two of them never run at once when the read model has not shown one of them yet.
//!
//! The key is the pair (a class of its own, 32 bits of the site's id), PostgreSQL's two-key form, so it never meets
//! the backup worker's one-key plan locks; two sites whose 32 bits agree only wait for each other.

use lawha_store::{
    Database,
    lock::{HeldLock, LockKey},
};
use uuid::Uuid;

use crate::messages;

/// The first key of every site lock ("LwDp").
const CLASS: i32 = 0x4c77_4470;

/// A held site lock; [`HeldLock::release`] gives it back (dropping it releases too, by closing the connection).
pub type SiteLock = HeldLock;

/// The second key: the last 4 bytes of the id (random in a v7 and a v4 id alike).
fn key(site_id: Uuid) -> i32 {
    let b = site_id.as_bytes();
    i32::from_be_bytes([b[12], b[13], b[14], b[15]])
}

/// Waits until no other deployment of the site holds the lock.
pub async fn acquire(db: &Database, site_id: Uuid) -> Result<SiteLock, lawha_domain::Message> {
    lawha_store::lock::acquire(db, LockKey::Pair(CLASS, key(site_id)))
        .await
        .map_err(|e| messages::lock_failed(e.to_string()))
}
