//! One run of a plan at a time. On PostgreSQL a session advisory lock keyed by the plan, held on a connection
//! of its own that is detached from the pool, so a worker that dies (or panics) releases it with its
//! connection; on SQLite (one process: the embedded profile) a lock in this process. A second run waits its
//! turn instead of failing.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use lawha_store::Database;
use sqlx::{Connection as _, PgConnection};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use crate::messages;

static LOCAL: LazyLock<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);

/// A held plan lock; [`PlanLock::release`] gives it back (dropping it releases too, by closing the connection).
#[derive(Debug)]
pub struct PlanLock {
    pg: Option<PgConnection>,
    _local: OwnedMutexGuard<()>,
}

/// The advisory lock key of a plan: its id's first 8 bytes.
fn key(plan_id: Uuid) -> i64 {
    let bytes = plan_id.as_bytes();
    i64::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
}

/// Waits until no other run of the plan holds the lock.
pub async fn acquire(db: &Database, plan_id: Uuid) -> Result<PlanLock, lawha_domain::Message> {
    let local = {
        let mut map = LOCAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(map.entry(plan_id).or_default())
    };
    let local = local.lock_owned().await;
    let pg = match db.pg_pool() {
        None => None,
        Some(pool) => {
            let conn = pool.acquire().await.map_err(|e| messages::lock_failed(e.to_string()))?;
            let mut conn = conn.detach();
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(key(plan_id))
                .execute(&mut conn)
                .await
                .map_err(|e| messages::lock_failed(e.to_string()))?;
            Some(conn)
        }
    };
    Ok(PlanLock { pg, _local: local })
}

impl PlanLock {
    /// Releases the lock (closing its connection, which releases the advisory lock with it).
    pub async fn release(self) {
        if let Some(conn) = self.pg {
            let _ = conn.close().await;
        }
    }
}
