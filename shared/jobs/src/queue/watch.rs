//! What the panel watches of its queues: whether they lost their messages, and their workers' heartbeats.
//!
//! A queue that lost its messages: Redis restarted without persistence (or was flushed, or failed over
//! to a replica that had not caught up) holds none of the messages that were waiting. The panel keeps a marker
//! key under its namespace; when the key is gone (or holds another panel's new value), whatever the queues held
//! before is gone too, and the caller puts back at once what the log says is waiting, instead of after the
//! redispatch sweep's `jobs.redispatch_after_secs`. The SQLite queue is a file beside the log: it has no marker.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Backend, QueueError, Queues};

/// What one look at the marker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// The marker is the one seen before: the queue kept its messages.
    Kept,
    /// The marker was missing or changed (its new value is remembered): messages may have been lost.
    Lost,
    /// A queue without a marker (SQLite).
    Unknown,
}

impl Queues {
    /// The marker key of this namespace.
    fn marker_key(namespace: &str) -> String {
        format!("{namespace}:marker")
    }

    /// Looks at the marker: sets it when missing, and says whether it is the one `seen` last time (which it then
    /// updates). Errors when the queue does not answer.
    pub async fn check_marker(&self, seen: &mut Option<String>) -> Result<Marker, QueueError> {
        let Backend::Redis { conn, namespace, .. } = &self.backend else {
            if let Backend::Sqlite { pool } = &self.backend {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            return Ok(Marker::Unknown);
        };
        let key = Self::marker_key(namespace);
        let mut conn = conn.clone();
        let fresh = Uuid::new_v4().to_string();
        // SET NX: a marker that is there stays; a missing one is set, and then nothing says what the queues held
        // (a first start on this Redis also looks like this, and putting back what waits then is harmless: a push
        // keyed by a message already there is dropped).
        let set: Option<String> = redis::cmd("SET").arg(&key).arg(&fresh).arg("NX").query_async(&mut conn).await?;
        let (verdict, now) = if set.is_some() {
            (Marker::Lost, fresh)
        } else {
            let now: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
            let now = now.unwrap_or(fresh);
            match seen.as_deref() {
                Some(before) if before != now => (Marker::Lost, now),
                _ => (Marker::Kept, now),
            }
        };
        *seen = Some(now);
        Ok(verdict)
    }
}

impl Queues {
    /// Every worker registered on the queues, with its last heartbeat (Unix seconds, the worker's clock): a worker
    /// whose heartbeat is late has died or hangs, and its running jobs will be delivered again once the queue
    /// gives up on it (`HEARTBEAT` × `MISSED_HEARTBEATS`). Read by the panel to show such jobs as "worker lost".
    pub async fn worker_heartbeats(&self) -> Result<HashMap<String, i64>, QueueError> {
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let mut pipe = redis::pipe();
                for queue in &self.known().await? {
                    if let Some(storage) = self.redis_storage(queue, 1) {
                        pipe.cmd("ZRANGE").arg(storage.get_config().workers_set()).arg(0).arg(-1).arg("WITHSCORES");
                    }
                }
                let sets: Vec<Vec<(String, f64)>> = pipe.query_async(&mut conn.clone()).await?;
                #[allow(clippy::cast_possible_truncation)] // scores are whole Unix seconds
                Ok(sets.into_iter().flatten().map(|(worker, seen)| (worker, seen as i64)).collect())
            }
            Backend::Sqlite { pool } => {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT id, last_seen FROM Workers").fetch_all(pool).await?;
                Ok(rows.into_iter().collect())
            }
        }
    }
}
