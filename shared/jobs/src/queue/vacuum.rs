//! Cleaning finished messages out of the queues. Neither apalis backend ever forgets a message (apalis-redis
//! keeps its data, metadata and done/dead set membership; apalis-sqlite keeps its row), so without this a queue
//! grows by every job it ever ran. Lawha's `jobs` projection holds each job's history, so a queue keeps a finished
//! message only as long as it guards against enqueueing the same event twice: [`RETENTION`], the idempotency
//! key's lifetime. `lawha serve` runs [`Queues::vacuum`] on every queue every [`INTERVAL`].

use std::time::Duration;

use chrono::Utc;

use super::{Backend, IDEMPOTENCY_TTL, QueueError, Queues};

/// How long a finished message stays: as long as Redis remembers its idempotency key.
pub const RETENTION: Duration = IDEMPOTENCY_TTL;
/// How often `lawha serve` cleans the queues.
pub const INTERVAL: Duration = Duration::from_secs(600);
/// Set members one Lua call looks at: small enough that Redis is never blocked for long.
const PAGE: u32 = 500;

impl Queues {
    /// Removes the messages of `queue` that finished (succeeded, failed or dead) more than `older_than` ago;
    /// returns how many. Pending, scheduled and running messages are never touched.
    pub async fn vacuum(&self, queue: &str, older_than: Duration) -> Result<u64, QueueError> {
        let cutoff = Utc::now().timestamp() - i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX / 2);
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let config = self.redis_storage(queue, 1).map(|s| s.get_config().clone()).expect("redis backend");
                let script = redis::Script::new(include_str!("vacuum.lua"));
                let mut conn = conn.clone();
                let mut removed = 0;
                for set in [config.done_jobs_set(), config.dead_jobs_set()] {
                    let mut cursor = "0".to_owned();
                    loop {
                        let (next, n): (String, u64) = script
                            .key(&set)
                            .key(config.job_data_hash())
                            .key(config.job_meta_hash())
                            .arg(&cursor)
                            .arg(cutoff)
                            .arg(PAGE)
                            .invoke_async(&mut conn)
                            .await?;
                        removed += n;
                        if next == "0" {
                            break;
                        }
                        cursor = next;
                    }
                }
                Ok(removed)
            }
            Backend::Sqlite { pool } => {
                let done = sqlx::query(
                    "DELETE FROM Jobs WHERE job_type = ?1 AND status IN ('Done', 'Failed', 'Killed') \
                     AND done_at IS NOT NULL AND done_at <= ?2",
                )
                .bind(queue)
                .bind(cutoff)
                .execute(pool)
                .await?;
                Ok(done.rows_affected())
            }
        }
    }
}

/// Vacuums every known queue (the registry's and the per-host ones) every `every`, keeping `older_than`, until `stop` is cancelled. Two
/// panels doing it at once is harmless: a message is removed once.
pub async fn run(queues: Queues, every: Duration, older_than: Duration, stop: tokio_util::sync::CancellationToken) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let known = match queues.known().await {
            Ok(known) => known,
            Err(error) => {
                tracing::warn!(%error, "could not list the queues to clean; trying again later");
                continue;
            }
        };
        for queue in &known {
            match queues.vacuum(queue, older_than).await {
                Ok(0) => {}
                Ok(removed) => {
                    metrics::counter!("lawha_queue_vacuumed_total", "queue" => queue.clone()).increment(removed);
                    tracing::info!(queue, removed, "removed finished messages from the queue");
                }
                Err(error) => tracing::warn!(queue, %error, "could not clean the queue; trying again later"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_retention_is_the_idempotency_window() {
        assert_eq!(super::RETENTION, super::super::IDEMPOTENCY_TTL);
        assert!(super::INTERVAL < super::RETENTION);
    }
}
