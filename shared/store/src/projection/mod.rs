//! Projections turn the log into read models. The runner feeds each projection the events after its
//! checkpoint in position order and commits the projection's table changes and the new checkpoint in one
//! transaction, so a crash between batches neither loses nor repeats an event.
//!
//! Read models are disposable (invariant 1): a rebuild empties a projection's tables, resets its checkpoint
//! and replays the log.
//!
//! [`ProjectionRunner::step`], [`ProjectionRunner::catch_up`] and [`ProjectionRunner::rebuild`] work one
//! projection at a time (the CLI, the admin job, tests); [`ProjectionRunner::run`], the loop `lawha serve` keeps
//! going, feeds every projection from one read per batch (`live.rs`).

mod live;
mod messages;

pub use messages::{message_from, message_from_value, stored_message};

use std::{
    fmt::{Debug, Write as _},
    sync::Arc,
    time::Duration,
};

use async_trait::async_trait;
use lawha_domain::RecordedEvent;
use sqlx::{AnyConnection, AssertSqlSafe, Connection as _};

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

    /// Applies a batch of events (in position order, all passing [`Self::filter`]) inside the runner's
    /// transaction: event by event unless the projection writes a batch in fewer statements. The result must be
    /// what applying them one by one gives.
    async fn apply_batch(&self, tx: &mut AnyConnection, events: &[&RecordedEvent]) -> Result<(), sqlx::Error> {
        for event in events {
            self.apply(tx, event).await?;
        }
        Ok(())
    }
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
        checkpoint(&self.db, name).await
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
        if !claim(&mut tx, name, from, to).await? {
            // Another runner (a second API replica, or a rebuild) moved the checkpoint: drop this batch.
            tx.rollback().await?;
            return Ok(0);
        }
        projection.apply_batch(&mut tx, &events.iter().collect::<Vec<_>>()).await?;
        if !events.is_empty() {
            self.db.announce_in(&mut tx, name).await?;
        }
        tx.commit().await?;
        if !events.is_empty() {
            self.db.read_model_changes().announce(name);
        }
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
        // The checkpoint first, like every runner's claim: locking read-model rows first would deadlock with a
        // running loop that holds the checkpoint and writes those rows.
        sqlx::query(
            "INSERT INTO checkpoints (name, position, updated_at) VALUES ($1, 0, $2) \
             ON CONFLICT (name) DO UPDATE SET position = 0, updated_at = excluded.updated_at",
        )
        .bind(projection.name())
        .bind(chrono::Utc::now().timestamp_micros())
        .execute(&mut *tx)
        .await?;
        for table in projection.tables() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
        }
        self.db.announce_in(&mut tx, projection.name()).await?;
        tx.commit().await?;
        self.db.read_model_changes().announce(projection.name());
        drop(conn);
        self.catch_up(projection).await
    }
}

/// Where the subscriber `name` (a projection, the job dispatcher) has got to: 0 before its first batch.
pub async fn checkpoint(db: &Database, name: &str) -> Result<i64, StoreError> {
    let position = sqlx::query_scalar("SELECT position FROM checkpoints WHERE name = $1")
        .bind(name)
        .fetch_optional(&db.read_models)
        .await?;
    Ok(position.unwrap_or(0))
}

/// Moves the checkpoint `name` from `from` to `to` (creating it when missing), unless another runner moved it
/// first (false). Inside a transaction, claiming before applying matters: moving the checkpoint locks its row, so
/// a second runner waits here, before it touches any read-model row, and then finds the checkpoint moved. Applying
/// first would let two runners lock read-model rows in different orders and deadlock on PostgreSQL.
pub async fn claim(tx: &mut AnyConnection, name: &str, from: i64, to: i64) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "INSERT INTO checkpoints (name, position, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at \
         WHERE checkpoints.position = $4",
    )
    .bind(name)
    .bind(to)
    .bind(chrono::Utc::now().timestamp_micros())
    .bind(from)
    .execute(tx)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Row counts one multi-row statement carries: a batch is cut greedily into these, so a connection prepares at
/// most four shapes of a statement whatever the batch sizes.
const ROWS_PER_STATEMENT: [usize; 4] = [64, 16, 4, 1];

/// Cuts `rows` items into the statement sizes of [`ROWS_PER_STATEMENT`], largest first.
pub fn statement_chunks<T>(rows: &[T]) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    let mut rest = rows;
    for size in ROWS_PER_STATEMENT {
        while rest.len() >= size {
            let (chunk, tail) = rest.split_at(size);
            chunks.push(chunk);
            rest = tail;
        }
    }
    chunks
}

/// `VALUES ($1, …, $width), (…)` for `rows` rows of `width` placeholders, numbered from `$1`, on both backends.
pub fn values_placeholders(width: usize, rows: usize) -> String {
    let mut sql = String::from("VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(sql, "${}", row * width + column + 1);
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_four_statement_sizes_at_most() {
        let rows: Vec<u32> = (0..150).collect();
        let sizes: Vec<usize> = statement_chunks(&rows).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![64, 64, 16, 4, 1, 1]);
        assert_eq!(sizes.iter().sum::<usize>(), 150);
        assert!(statement_chunks::<u32>(&[]).is_empty());
    }

    #[test]
    fn placeholders_number_rows_one_after_another() {
        assert_eq!(values_placeholders(2, 3), "VALUES ($1, $2), ($3, $4), ($5, $6)");
        assert_eq!(values_placeholders(1, 1), "VALUES ($1)");
    }
}
