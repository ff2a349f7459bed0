//! The queues that exist: the registry's fixed ones and the per-host ones (`deployments.<host>`) that a push or a
//! worker has used. The metrics, the vacuum and the worker heartbeats walk them all, so a host added at run time
//! is watched without a restart. On Redis the per-host names are a set (`<namespace>:queues`); on SQLite they
//! are the queue names its tables hold.

use redis::AsyncCommands as _;

use super::{Backend, QueueError, Queues};
use crate::registry;

impl Queues {
    /// Remembers that `queue` exists (a push to it, or a worker serving it). A fixed queue needs nothing.
    pub(crate) async fn remember(&self, queue: &str) -> Result<(), QueueError> {
        if registry::QUEUES.contains(&queue) {
            return Ok(());
        }
        if let Backend::Redis { conn, namespace, .. } = &self.backend {
            let _: i64 = conn.clone().sadd(format!("{namespace}:queues"), queue).await?;
        }
        Ok(())
    }

    /// Every queue: the fixed ones, then the per-host ones in name order.
    pub async fn known(&self) -> Result<Vec<String>, QueueError> {
        let mut dynamic: Vec<String> = match &self.backend {
            Backend::Redis { conn, namespace, .. } => conn.clone().smembers(format!("{namespace}:queues")).await?,
            Backend::Sqlite { pool } => {
                sqlx::query_scalar(
                    "SELECT job_type FROM Jobs UNION SELECT worker_type FROM Workers WHERE worker_type <> ''",
                )
                .fetch_all(pool)
                .await?
            }
        };
        dynamic.retain(|q| !registry::QUEUES.contains(&q.as_str()));
        dynamic.sort_unstable();
        dynamic.dedup();
        Ok(registry::QUEUES.iter().map(|q| (*q).to_owned()).chain(dynamic).collect())
    }
}
