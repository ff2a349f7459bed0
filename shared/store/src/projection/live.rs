//! The live loop: every projection fed from one read of the log per batch, in one transaction.
//!
//! Each projection keeps its own checkpoint (its row in `checkpoints`, claimed compare-and-set as in
//! [`ProjectionRunner::step`]), but the loop reads the events after the lowest of them once, hands each
//! projection the ones past its own checkpoint that pass its filter, and commits every claim and every read-model
//! change together. A projection that a batch gives nothing to is not claimed: its position moves in memory only
//! ("scanned") and is written at most once a second, or when the loop stops, since nothing is lost by replaying
//! events it skips anyway.
//!
//! After a wake-up the loop waits [`GATHER`] before reading, so a busy log is read in batches of some size.
//!
//! How far a short page reaches: past the last event read, up to the head this process was told of before the
//! read (the appender's wake-up channel, fed by this process's commits and other processes' `pg_notify`), since
//! positions are gap-free and commit-ordered (invariant 5): nothing at or below that head can still appear. When
//! a wait ends on the poll timer instead of a wake-up, the head is read from the log, in case a notice was lost.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use lawha_domain::RecordedEvent;
use tokio_util::sync::CancellationToken;

use super::{Projection, ProjectionRunner, claim};
use crate::{EventFilter, StoreError};

/// How often positions moved only in memory are written to `checkpoints`.
const PERSIST_EVERY: Duration = Duration::from_secs(1);
/// How long the loop waits after a wake-up before reading, so that under load one batch carries the events of a
/// few moments (and a job's start and end often meet in one row write) instead of one batch per append. It is
/// also the most a read model lags behind the log while the loop keeps up.
const GATHER: Duration = Duration::from_millis(25);

/// Where one projection has got to.
#[derive(Debug)]
struct Cursor {
    projection: Arc<dyn Projection>,
    filter: EventFilter,
    /// The position in its `checkpoints` row, as this loop last wrote or read it.
    persisted: i64,
    /// Every event up to here has been applied or skipped (>= persisted).
    scanned: i64,
}

/// Why a batch was not applied.
enum Missed {
    /// Another runner moved a checkpoint: read them again and carry on.
    Raced,
    Failed(StoreError),
}

impl From<sqlx::Error> for Missed {
    fn from(error: sqlx::Error) -> Self {
        Self::Failed(error.into())
    }
}

impl From<StoreError> for Missed {
    fn from(error: StoreError) -> Self {
        Self::Failed(error)
    }
}

impl ProjectionRunner {
    /// Runs every projection until `stop` is cancelled, then writes where each has got to.
    pub async fn run(self, stop: CancellationToken) {
        let mut wake = self.db.events.wakeups();
        let mut cursors: Option<Vec<Cursor>> = None;
        let mut failures = 0u32;
        let mut persisted_at = Instant::now();
        // The head to reach on a short page; None: read it from the log.
        let mut head: Option<i64> = None;
        while !stop.is_cancelled() {
            let hint = *wake.borrow_and_update();
            let known = match head.take() {
                Some(h) => h.max(hint),
                None => self.db.events.head().await.unwrap_or(0).max(hint),
            };
            let persist = persisted_at.elapsed() >= PERSIST_EVERY;
            if persist {
                persisted_at = Instant::now();
            }
            let outcome = match cursors.as_mut() {
                Some(cursors) => self.advance(cursors, known, persist).await,
                None => self.cursors().await.map_err(Missed::Failed).map(|loaded| {
                    cursors = Some(loaded);
                    usize::MAX
                }),
            };
            match outcome {
                // A short page: caught up with the log as this process knows it.
                Ok(read) if i64::try_from(read).is_ok_and(|read| read < self.batch_size) => {
                    failures = 0;
                    tokio::select! {
                        () = stop.cancelled() => {}
                        woke = tokio::time::timeout(self.poll, wake.changed()) => match woke {
                            Ok(Ok(())) => {
                                head = Some(hint);
                                // Let the appends of the next moments join this one's batch.
                                tokio::time::sleep(GATHER).await;
                            }
                            // The appender is gone (the store is closing): only the timer is left.
                            Ok(Err(_)) => tokio::time::sleep(self.poll).await,
                            Err(_) => {}
                        },
                    }
                }
                Ok(_) => {
                    failures = 0;
                    head = Some(known);
                }
                Err(Missed::Raced) => cursors = None,
                Err(Missed::Failed(error)) => {
                    cursors = None;
                    failures += 1;
                    let delay = self.poll * failures.min(30);
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "projection batch failed");
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        if let Some(mut cursors) = cursors
            && let Err(Missed::Failed(error)) = self.advance(&mut cursors, 0, true).await
        {
            tracing::warn!(%error, "could not record where the projections got to");
        }
    }

    /// Every projection's checkpoint, as stored.
    async fn cursors(&self) -> Result<Vec<Cursor>, StoreError> {
        let mut cursors = Vec::with_capacity(self.projections.len());
        for projection in &self.projections {
            let position = self.checkpoint(projection.name()).await?;
            let filter = projection.filter();
            cursors.push(Cursor { projection: Arc::clone(projection), filter, persisted: position, scanned: position });
        }
        // Claims are taken in one order by every runner, so two runners cannot deadlock on checkpoint rows.
        cursors.sort_by_key(|c| c.projection.name());
        Ok(cursors)
    }

    /// Reads one page after the lowest position and applies it; returns how many events it read (0: caught up).
    async fn advance(&self, cursors: &mut [Cursor], head: i64, persist: bool) -> Result<usize, Missed> {
        let Some(from) = cursors.iter().map(|c| c.scanned).min() else { return Ok(0) };
        let events = self.db.events.read_all(from, self.batch_size, &EventFilter::all()).await?;
        let last = events.last().map_or(from, |e| e.position);
        let short = i64::try_from(events.len()).unwrap_or(i64::MAX) < self.batch_size;
        let to = if short { last.max(head) } else { last };
        let shares: Vec<Vec<&RecordedEvent>> = cursors
            .iter()
            .map(|c| events.iter().filter(|e| e.position > c.scanned && c.filter.matches(e)).collect())
            .collect();
        let target = |c: &Cursor| c.scanned.max(to);
        let claims: Vec<usize> = (0..cursors.len())
            .filter(|&i| !shares[i].is_empty() || (persist && target(&cursors[i]) > cursors[i].persisted))
            .collect();
        if !claims.is_empty() {
            let mut conn = self.db.read_models.acquire().await?;
            let mut tx = self.begin(&mut conn).await?;
            for &i in &claims {
                let c = &cursors[i];
                if !claim(&mut tx, c.projection.name(), c.persisted, target(c)).await? {
                    tx.rollback().await?;
                    return Err(Missed::Raced);
                }
            }
            for &i in &claims {
                if !shares[i].is_empty() {
                    cursors[i].projection.apply_batch(&mut tx, &shares[i]).await?;
                    self.db.announce_in(&mut tx, cursors[i].projection.name()).await?;
                }
            }
            tx.commit().await?;
            // Caches in this process drop what changed only now: a request between the apply and the commit could
            // otherwise cache the old row again, for a cache's whole lifetime.
            for &i in &claims {
                if !shares[i].is_empty() {
                    self.db.read_model_changes().announce(cursors[i].projection.name());
                }
            }
            for &i in &claims {
                cursors[i].persisted = target(&cursors[i]);
            }
        }
        for c in cursors.iter_mut() {
            c.scanned = target(c);
            #[allow(clippy::cast_precision_loss)] // positions stay far below 2^52
            metrics::gauge!("lawha_projection_lag", "projection" => c.projection.name())
                .set((head - c.scanned).max(0) as f64);
        }
        Ok(events.len())
    }
}
