//! One run of a plan at a time. On PostgreSQL a session advisory lock keyed by the plan, held on a connection
//! of its own that is detached from the pool, so a worker that dies (or panics) releases it with its
//! connection; on SQLite (one process: the embedded profile) a lock in this process. A second run waits its
//! turn instead of failing.

use lawha_store::{
    Database,
    lock::{HeldLock, LockKey},
};
use uuid::Uuid;

use crate::messages;

/// A held plan lock; [`HeldLock::release`] gives it back (dropping it releases too, by closing the connection).
pub type PlanLock = HeldLock;

/// The advisory lock key of a plan: its id's first 8 bytes.
fn key(plan_id: Uuid) -> i64 {
    let bytes = plan_id.as_bytes();
    i64::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
}

/// Waits until no other run of the plan holds the lock.
pub async fn acquire(db: &Database, plan_id: Uuid) -> Result<PlanLock, lawha_domain::Message> {
    lawha_store::lock::acquire(db, LockKey::One(key(plan_id))).await.map_err(|e| messages::lock_failed(e.to_string()))
}
