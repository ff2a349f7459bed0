//! Named locks for work that must not run twice at once (one run of a backup plan, one deployment of a site). On
//! PostgreSQL a session advisory lock, held on a connection of its own that is detached from the pool, so a
//! process that dies (or panics) releases it with its connection; on SQLite (one process: the embedded profile)
//! a lock in this process. A second holder waits its turn instead of failing.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use sqlx::{Connection as _, PgConnection};
use tokio::sync::OwnedMutexGuard;

use crate::Database;

/// An advisory lock's key, in one of PostgreSQL's two forms (they never meet each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKey {
    /// `pg_advisory_lock(bigint)`.
    One(i64),
    /// `pg_advisory_lock(int, int)`: a class of locks and a key within it.
    Pair(i32, i32),
}

static LOCAL: LazyLock<Mutex<HashMap<LockKey, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);

/// A held lock; [`HeldLock::release`] gives it back (dropping it releases too, by closing the connection).
#[derive(Debug)]
pub struct HeldLock {
    pg: Option<PgConnection>,
    _local: OwnedMutexGuard<()>,
}

/// Waits until nobody else holds `key`, in this process and, on PostgreSQL, in every process on the database.
pub async fn acquire(db: &Database, key: LockKey) -> Result<HeldLock, sqlx::Error> {
    let local = {
        let mut map = LOCAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(key).or_default())
    };
    let local = local.lock_owned().await;
    let pg = match db.pg_pool() {
        None => None,
        Some(pool) => {
            let mut conn = pool.acquire().await?.detach();
            let query = match key {
                LockKey::One(key) => sqlx::query("SELECT pg_advisory_lock($1)").bind(key),
                LockKey::Pair(class, key) => sqlx::query("SELECT pg_advisory_lock($1, $2)").bind(class).bind(key),
            };
            query.execute(&mut conn).await?;
            Some(conn)
        }
    };
    Ok(HeldLock { pg, _local: local })
}

impl HeldLock {
    /// Releases the lock (closing its connection, which releases the advisory lock with it).
    pub async fn release(self) {
        if let Some(conn) = self.pg {
            let _ = conn.close().await;
        }
    }
}
