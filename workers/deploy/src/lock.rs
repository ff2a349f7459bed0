//! One deployment of a site at a time, whatever the read model says. On PostgreSQL a session advisory lock keyed
//! by the site, held on a connection of its own that is detached from the pool, so a worker that dies releases it
//! with its connection; on SQLite (one process: the embedded profile) a lock in this process. The wait for
//! earlier deployments (`wait.rs`) puts deployments in the order they were asked for; this lock is what makes
//! two of them never run at once when the read model has not shown one of them yet.
//!
//! The key is the pair (a class of its own, 32 bits of the site's id), PostgreSQL's two-key form, so it never meets
//! the backup worker's one-key plan locks; two sites whose 32 bits agree only wait for each other.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use lawha_store::Database;
use sqlx::{Connection as _, PgConnection};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::messages;

/// The first key of every site lock ("LwDp").
const CLASS: i32 = 0x4c77_4470;

static LOCAL: LazyLock<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);

/// A held site lock; [`SiteLock::release`] gives it back (dropping it releases too, by closing the connection).
#[derive(Debug)]
pub struct SiteLock {
    pg: Option<PgConnection>,
    _local: OwnedMutexGuard<()>,
}

/// The second key: the last 4 bytes of the id (random in a v7 and a v4 id alike).
fn key(site_id: Uuid) -> i32 {
    let b = site_id.as_bytes();
    i32::from_be_bytes([b[12], b[13], b[14], b[15]])
}

/// Waits until no other deployment of the site holds the lock.
pub async fn acquire(db: &Database, site_id: Uuid) -> Result<SiteLock, lawha_domain::Message> {
    let local = {
        let mut map = LOCAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(site_id).or_default())
    };
    let local = local.lock_owned().await;
    let pg = match db.pg_pool() {
        None => None,
        Some(pool) => {
            let conn = pool.acquire().await.map_err(|e| messages::lock_failed(e.to_string()))?;
            let mut conn = conn.detach();
            sqlx::query("SELECT pg_advisory_lock($1, $2)")
                .bind(CLASS)
                .bind(key(site_id))
                .execute(&mut conn)
                .await
                .map_err(|e| messages::lock_failed(e.to_string()))?;
            Some(conn)
        }
    };
    Ok(SiteLock { pg, _local: local })
}

impl SiteLock {
    /// Releases the lock (closing its connection, which releases the advisory lock with it).
    pub async fn release(self) {
        if let Some(conn) = self.pg {
            let _ = conn.close().await;
        }
    }
}
