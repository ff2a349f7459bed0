//! Projections turn the log into read models. The runner feeds each projection the events after its
//! checkpoint in position order and commits the projection's table changes and the new checkpoint in one
//! transaction, so a crash between batches neither loses nor repeats an event.
//!
//! Read models are disposable (invariant 1): a rebuild empties a projection's tables, resets its checkpoint
//! and replays the log.

use std::{fmt::Debug, sync::Arc, time::Duration};

use async_trait::async_trait;
use lawha_domain::RecordedEvent;
use sqlx::{AnyConnection, AssertSqlSafe, Connection as _};
use tokio_util::sync::CancellationToken;

use crate::{Backend, Database, EventFilter, StoreError};

/// A read model fed from the log. SQL in `apply` must run on both backends (sqlx `Any`: integers, text, bytes).
#[async_trait]
pub trait Projection: Send + Sync + Debug {
    /// Stable name; also the checkpoint's name and the argument of `lawha projections rebuild`.
    fn name(&self) -> &'static str;
    /// Tables a rebuild empties.
    fn tables(&self) -> &'static [&'static str];
    /// Which events it needs; the rest are skipped without a round trip each.
    fn filter(&self) -> EventFilter {
        EventFilter::all()
    }
    /// Applies one event inside the runner's transaction. It must be idempotent and never move a row backwards.
    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error>;
}

/// Keeps a set of projections up to date.
#[derive(Debug, Clone)]
pub struct ProjectionRunner {
    db: Database,
    projections: Vec<Arc<dyn Projection>>,
    batch_size: i64,
    poll: Duration,
}

impl ProjectionRunner {
    /// A runner over these projections, reading `batch_size` events per transaction.
    pub fn new(db: Database, projections: Vec<Arc<dyn Projection>>, batch_size: u32, poll: Duration) -> Self {
        Self { db, projections, batch_size: i64::from(batch_size.max(1)), poll }
    }

    /// The projections it runs.
    pub fn projections(&self) -> &[Arc<dyn Projection>] {
        &self.projections
    }

    /// Looks a projection up by name.
    pub fn find(&self, name: &str) -> Option<Arc<dyn Projection>> {
        self.projections.iter().find(|p| p.name() == name).cloned()
    }

    /// A projection's checkpoint (0 before its first batch).
    pub async fn checkpoint(&self, name: &str) -> Result<i64, StoreError> {
        let position = sqlx::query_scalar("SELECT position FROM checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.db.read_models)
            .await?;
        Ok(position.unwrap_or(0))
    }

    async fn begin<'c>(&self, conn: &'c mut AnyConnection) -> Result<sqlx::Transaction<'c, sqlx::Any>, sqlx::Error> {
        // SQLite must take the write lock at BEGIN, or two writers deadlock on upgrade instead of waiting.
        match self.db.backend() {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => conn.begin().await,
        }
    }

    /// Applies one batch to one projection; returns how many events it applied (0 when caught up, or when
    /// another runner moved the checkpoint first).
    pub async fn step(&self, projection: &dyn Projection) -> Result<usize, StoreError> {
        let name = projection.name();
        let from = self.checkpoint(name).await?;
        let head = self.db.events.head().await?;
        let events = self.db.events.read_all(from, self.batch_size, &projection.filter()).await?;
        let last = events.last().map_or(from, |e| e.position);
        // A short page means every matching event up to `head` was read, so the checkpoint may skip to it.
        let to = if i64::try_from(events.len()).unwrap_or(i64::MAX) < self.batch_size { last.max(head) } else { last };
        if to == from {
            metrics::gauge!("lawha_projection_lag", "projection" => name).set(0.0);
            return Ok(0);
        }
        let mut conn = self.db.read_models.acquire().await?;
        let mut tx = self.begin(&mut conn).await?;
        // Claim the batch first: moving the checkpoint locks its row, so a second runner waits here, before it
        // touches any read-model row, and then finds the checkpoint moved. Applying first would let two runners
        // lock read-model rows in different orders and deadlock on PostgreSQL.
        let moved = sqlx::query(
            "INSERT INTO checkpoints (name, position, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at \
             WHERE checkpoints.position = $4",
        )
        .bind(name)
        .bind(to)
        .bind(chrono::Utc::now().timestamp_micros())
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            // Another runner (a second API replica, or a rebuild) moved the checkpoint: drop this batch.
            tx.rollback().await?;
            return Ok(0);
        }
        for event in &events {
            projection.apply(&mut tx, event).await?;
        }
        tx.commit().await?;
        #[allow(clippy::cast_precision_loss)] // positions stay far below 2^52
        metrics::gauge!("lawha_projection_lag", "projection" => name).set((head - to).max(0) as f64);
        Ok(events.len())
    }

    /// Steps until the projection has caught up with the log; returns the events applied.
    pub async fn catch_up(&self, projection: &dyn Projection) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let applied = self.step(projection).await?;
            total += applied;
            if applied == 0 {
                return Ok(total);
            }
        }
    }

    /// Empties the projection's tables, resets its checkpoint and replays the whole log into it.
    pub async fn rebuild(&self, projection: &dyn Projection) -> Result<usize, StoreError> {
        let mut conn = self.db.read_models.acquire().await?;
        let mut tx = self.begin(&mut conn).await?;
        for table in projection.tables() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO checkpoints (name, position, updated_at) VALUES ($1, 0, $2) \
             ON CONFLICT (name) DO UPDATE SET position = 0, updated_at = excluded.updated_at",
        )
        .bind(projection.name())
        .bind(chrono::Utc::now().timestamp_micros())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        drop(conn);
        self.catch_up(projection).await
    }

    /// Runs every projection until `stop` is cancelled.
    pub async fn run(self, stop: CancellationToken) {
        let tasks: Vec<_> =
            self.projections.iter().map(|p| tokio::spawn(self.clone().run_one(Arc::clone(p), stop.clone()))).collect();
        for task in tasks {
            let _ = task.await;
        }
    }

    async fn run_one(self, projection: Arc<dyn Projection>, stop: CancellationToken) {
        let mut wake = self.db.events.wakeups();
        let mut failures = 0u32;
        while !stop.is_cancelled() {
            wake.borrow_and_update();
            match self.step(projection.as_ref()).await {
                Ok(0) => {
                    failures = 0;
                    tokio::select! {
                        () = stop.cancelled() => {}
                        _ = tokio::time::timeout(self.poll, wake.changed()) => {}
                    }
                }
                Ok(_) => failures = 0,
                Err(error) => {
                    failures += 1;
                    let delay = self.poll * failures.min(30);
                    tracing::warn!(projection = projection.name(), %error, retry_in_ms = delay.as_millis(), "projection batch failed");
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}
