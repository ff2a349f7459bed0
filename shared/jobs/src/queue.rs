//! The queues: Redis through apalis-redis in production, a SQLite file of its own through apalis-sqlite as the
//! embedded default. One queue per name (`admin`, `backups`…), each carrying [`Job`] messages as JSON.
//!
//! apalis 1.0's traps are handled here once (see `../shared/notes/event-store-and-queue.md` and the code):
//! the Redis connection manager gets a response timeout of seconds (the crate's 500 ms stops a worker pool on one
//! stall), heartbeats and the orphan threshold are set explicitly, idempotency keys get a time to live (without
//! one apalis deletes them at once), and SQLite task ids are left to apalis (they must be ULIDs).

use std::{str::FromStr, time::Duration};

use apalis::prelude::{TaskBuilder, TaskId, TaskSink as _};
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Utc};
use lawha_config::Config;
use lawha_domain::jobs::Job;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
};
use uuid::Uuid;

mod known;
pub mod vacuum;
mod wake;
mod watch;

pub use watch::Marker;

/// How often a worker tells the queue it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// Heartbeats a worker may miss before its jobs go to another worker: 15 s, so a killed worker's job runs again
/// within 30 s.
pub const MISSED_HEARTBEATS: usize = 3;
/// How long Redis remembers an idempotency key: longer than any redispatch of the same message.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest a Redis command may take before the connection is considered broken.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the queue refused or could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis is unreachable or answered with an error.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The SQLite queue file could not be opened or written.
    #[error("sqlite queue: {0}")]
    Sqlite(#[from] sqlx::Error),
    /// apalis refused the push.
    #[error("queue push failed: {0}")]
    Push(String),
}

/// A message on its way to a queue.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The message.
    pub job: Job,
    /// The id that makes a second push of the same message a no-op: the id of the event that asked for it.
    pub key: Uuid,
    /// When it becomes due (None: now).
    pub run_at: Option<DateTime<Utc>>,
}

/// How full a queue is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Messages due now and not yet taken.
    pub due: u64,
    /// Messages due later (retries waiting out their delay).
    pub delayed: u64,
    /// Seconds the oldest due message has waited, 0 when none.
    pub oldest_due_secs: u64,
}

/// The queues of one panel.
#[derive(Debug, Clone)]
pub struct Queues {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Redis { conn: ConnectionManager, client: redis::Client, namespace: String },
    Sqlite { pool: SqlitePool },
}

impl Queues {
    /// Redis when `redis_url` is set, otherwise the SQLite queue file (created when missing).
    pub async fn connect(config: &Config) -> Result<Self, QueueError> {
        match &config.redis_url {
            Some(url) => Self::redis(url.expose(), &config.jobs.namespace).await,
            None => Self::sqlite(&config.jobs.queue_path).await,
        }
    }

    /// Queues on Redis under `namespace`.
    pub async fn redis(url: &str, namespace: &str) -> Result<Self, QueueError> {
        let client = redis::Client::open(url)?;
        let settings = ConnectionManagerConfig::new()
            .set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(Duration::from_secs(5)));
        let conn = client.get_connection_manager_with_config(settings).await?;
        Ok(Self { backend: Backend::Redis { conn, client, namespace: namespace.to_owned() } })
    }

    /// Queues in a SQLite file of their own, beside the event log, so queue polling never contends with appends
    /// for the log's write lock.
    pub async fn sqlite(path: &std::path::Path) -> Result<Self, QueueError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| QueueError::Sqlite(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        SqliteStorage::setup(&pool).await.map_err(|e| QueueError::Push(format!("setting up the queue file: {e}")))?;
        Ok(Self { backend: Backend::Sqlite { pool } })
    }

    /// Which backend, for logs and metrics.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Redis { .. } => "redis",
            Backend::Sqlite { .. } => "sqlite",
        }
    }

    /// The apalis queue name of `queue`: namespaced on Redis (`lawha:admin`).
    pub fn apalis_name(&self, queue: &str) -> String {
        match &self.backend {
            Backend::Redis { namespace, .. } => format!("{namespace}:{queue}"),
            Backend::Sqlite { .. } => queue.to_owned(),
        }
    }

    /// The Redis storage of one queue, configured for Lawha's workers.
    pub(crate) fn redis_storage(&self, queue: &str, batch: usize) -> Option<RedisStorage<Job>> {
        let Backend::Redis { conn, .. } = &self.backend else { return None };
        let config = apalis_redis::Config::default()
            .queue(self.apalis_name(queue))
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            .batch_size(batch)
            // Locking rescans the whole pending list for every job (O(backlog)); recovery of a dead worker's
            // jobs uses its in-flight set, which stays.
            .lock_tasks(false)
            // apalis publishes every push and every acknowledgement on Redis pub/sub for listeners; Lawha has
            // none, and the publishes cost Redis a command per message twice.
            .emit_events(false)
            .idempotency_ttl(Some(IDEMPOTENCY_TTL));
        Some(RedisStorage::new(conn.clone()).with_config(config))
    }

    /// On Redis, a wake-up stored each time messages are pushed to `queue`, and the task listening for them (to
    /// abort when the workers stop); None on SQLite, whose workers only poll.
    pub(crate) fn pushes(
        &self,
        queue: &str,
    ) -> Option<(std::sync::Arc<tokio::sync::Notify>, tokio::task::JoinHandle<()>)> {
        let Backend::Redis { client, .. } = &self.backend else { return None };
        Some(wake::listen(client.clone(), wake::channel(&self.apalis_name(queue))))
    }

    /// The SQLite storage of one queue, configured for Lawha's workers.
    pub(crate) fn sqlite_storage(&self, queue: &str, batch: usize) -> Option<SqliteStorage<Job>> {
        let Backend::Sqlite { pool } = &self.backend else { return None };
        let config = apalis_sqlite::Config::default()
            .queue(queue)
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS)
            .batch_size(batch);
        Some(SqliteStorage::new(pool).with_config(config))
    }

    /// Pushes messages, grouped by queue. A message whose key was pushed before is dropped by the queue, so pushing
    /// again after a crash or from a second dispatcher never enqueues anything twice.
    pub async fn push(&self, items: &[Outgoing]) -> Result<(), QueueError> {
        let mut queues: Vec<&str> = items.iter().map(|o| o.job.queue.as_str()).collect();
        queues.sort_unstable();
        queues.dedup();
        for queue in queues {
            self.remember(queue).await?;
            let items = items.iter().filter(|o| o.job.queue == queue);
            if let Some(mut storage) = self.redis_storage(queue, 1) {
                // The key is also the task id: the data hash's HSETNX drops a second copy even once the
                // idempotency key has expired.
                let tasks: Vec<_> =
                    items.map(|o| task(o).task_id(TaskId::from_string(o.key.to_string())).build()).collect();
                let count = tasks.len();
                storage.push_all(futures::stream::iter(tasks)).await.map_err(|e| QueueError::Push(e.to_string()))?;
                if let Backend::Redis { conn, .. } = &self.backend {
                    wake::announce(conn, &wake::channel(&self.apalis_name(queue)), count).await;
                }
            } else if let Some(mut storage) = self.sqlite_storage(queue, 1) {
                // One attempt per message: the runtime decides retries itself (apalis-sqlite would retry at once).
                let tasks: Vec<_> = items.map(|o| task(o).max_attempts(1).build()).collect();
                storage.push_all(futures::stream::iter(tasks)).await.map_err(|e| QueueError::Push(e.to_string()))?;
            }
        }
        Ok(())
    }
}

impl Queues {
    /// How full `queue` is: for the metrics, and for the dispatcher's backpressure (apalis-redis moves every due
    /// message in one Lua call, which fails beyond about 8,000).
    pub async fn depth(&self, queue: &str) -> Result<Depth, QueueError> {
        let now = Utc::now().timestamp();
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let config = self.redis_storage(queue, 1).map(|s| s.get_config().clone()).expect("redis backend");
                let (active, scheduled) = (config.active_jobs_list(), config.scheduled_jobs_set());
                let mut conn = conn.clone();
                let (listed, due_later, delayed, oldest, head): (u64, u64, u64, Vec<(String, f64)>, Option<String>) =
                    redis::pipe()
                        .llen(&active)
                        .zcount(&scheduled, "-inf", now)
                        .zcount(&scheduled, format!("({now}"), "+inf")
                        .zrangebyscore_limit_withscores(&scheduled, "-inf", now, 0, 1)
                        .lindex(&active, 0)
                        .query_async(&mut conn)
                        .await?;
                #[allow(clippy::cast_possible_truncation)] // scores are whole Unix seconds
                let scheduled_since = oldest.first().map(|(_, score)| *score as i64);
                // A message id is the requesting event's id, a UUIDv7 for commands: it carries its time.
                let listed_since = head
                    .and_then(|id| Uuid::parse_str(&id).ok())
                    .and_then(|id| id.get_timestamp())
                    .and_then(|t| i64::try_from(t.to_unix().0).ok());
                let since = [scheduled_since, listed_since].into_iter().flatten().min();
                Ok(Depth {
                    due: listed + due_later,
                    delayed,
                    oldest_due_secs: since.map_or(0, |t| u64::try_from(now - t).unwrap_or(0)),
                })
            }
            Backend::Sqlite { pool } => {
                let (due, delayed, since): (i64, i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(CASE WHEN run_at <= ?2 THEN 1 END), COUNT(CASE WHEN run_at > ?2 THEN 1 END), \
                            MIN(CASE WHEN run_at <= ?2 THEN run_at END) \
                     FROM Jobs WHERE job_type = ?1 AND status = 'Pending'",
                )
                .bind(queue)
                .bind(now)
                .fetch_one(pool)
                .await?;
                Ok(Depth {
                    due: u64::try_from(due).unwrap_or(0),
                    delayed: u64::try_from(delayed).unwrap_or(0),
                    oldest_due_secs: since.map_or(0, |t| u64::try_from(now - t).unwrap_or(0)),
                })
            }
        }
    }
}

impl Queues {
    /// Messages `queue` has stored and not yet cleaned up, whatever their state: each pushed key counts once,
    /// which is how tests see that nothing was enqueued twice.
    pub async fn messages_ever(&self, queue: &str) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Redis { conn, .. } => {
                let config = self.redis_storage(queue, 1).map(|s| s.get_config().clone()).expect("redis backend");
                let count: u64 = redis::cmd("HLEN").arg(config.job_data_hash()).query_async(&mut conn.clone()).await?;
                Ok(count)
            }
            Backend::Sqlite { pool } => {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE job_type = ?1")
                    .bind(queue)
                    .fetch_one(pool)
                    .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }
        }
    }
}

fn task(item: &Outgoing) -> TaskBuilder<Job> {
    let mut builder = TaskBuilder::new(item.job.clone()).idempotency_key(item.key.to_string());
    if let Some(at) = item.run_at.and_then(|t| u64::try_from(t.timestamp()).ok()) {
        builder = builder.run_at_timestamp(at);
    }
    builder
}
