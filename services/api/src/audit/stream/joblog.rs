//! One poller per followed job log, whatever the number of streams following it: the job log is a table, not
//! the event log, so it is read every [`LOG_POLL`]; before, every stream read it itself (ten open job pages were
//! ten queries every 250 ms). The poller starts with the first follower and stops when the last one has gone.
//!
//! A follower first reads, itself and once, the lines between where it starts (`?log_after=`) and where the
//! poller was when it joined, then takes the poller's batches. The poller moves its position before it sends a
//! batch, so every line is in one or the other (sometimes both: a follower skips what it has sent).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use sqlx::AnyPool;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::jobs::read::{self, LogLine};

/// How often a followed job's log is read.
pub const LOG_POLL: Duration = Duration::from_millis(250);
/// Lines read per query.
const PAGE: i64 = 200;

/// A batch of new lines, shared by every follower.
type Batch = Arc<Vec<LogLine>>;

/// The pollers, by job.
#[derive(Debug, Default)]
pub struct JobLogs {
    pollers: Mutex<HashMap<Uuid, Poller>>,
}

#[derive(Debug, Clone)]
struct Poller {
    lines: broadcast::Sender<Batch>,
    /// The newest line sent (None until the poller has looked).
    position: watch::Receiver<Option<i64>>,
}

/// One stream's view of a job's log.
#[derive(Debug)]
pub struct Follower {
    pool: AnyPool,
    job: Uuid,
    lines: broadcast::Receiver<Batch>,
    position: watch::Receiver<Option<i64>>,
    /// Whether the lines before the poller's position have been read.
    caught_up: bool,
}

impl JobLogs {
    /// Follows `job`'s log, starting a poller for it unless one runs.
    pub fn follow(self: &Arc<Self>, pool: &AnyPool, job: Uuid) -> Follower {
        let mut pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let poller = pollers
            .entry(job)
            .or_insert_with(|| {
                let (lines, _) = broadcast::channel(64);
                let (moved, position) = watch::channel(None);
                tokio::spawn(poll(Arc::clone(self), pool.clone(), job, lines.clone(), moved));
                Poller { lines, position }
            })
            .clone();
        Follower {
            pool: pool.clone(),
            job,
            lines: poller.lines.subscribe(),
            position: poller.position,
            caught_up: false,
        }
    }

    /// Pollers running now.
    pub fn pollers(&self) -> usize {
        self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

/// Reads `job`'s new lines every [`LOG_POLL`] and sends them, until nobody follows.
async fn poll(
    logs: Arc<JobLogs>,
    pool: AnyPool,
    job: Uuid,
    lines: broadcast::Sender<Batch>,
    moved: watch::Sender<Option<i64>>,
) {
    let mut after = loop {
        match read::log_tail(&pool, job, 1).await {
            Ok(tail) => break tail.last().map_or(0, |line| line.id),
            Err(error) => {
                tracing::warn!(%error, "could not read a followed job log; retrying");
                tokio::time::sleep(LOG_POLL * 4).await;
            }
        }
    };
    moved.send_replace(Some(after));
    loop {
        {
            let mut pollers = logs.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if lines.receiver_count() == 0 {
                pollers.remove(&job);
                return;
            }
        }
        match read::log_after(&pool, job, after, PAGE).await {
            Ok(batch) if !batch.is_empty() => {
                after = batch.last().map_or(after, |line| line.id);
                moved.send_replace(Some(after));
                let _ = lines.send(Arc::new(batch));
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not read a followed job log; retrying"),
        }
        tokio::time::sleep(LOG_POLL).await;
    }
}

impl Follower {
    /// The next lines after `after` (which it moves past them); waits until there are some. Cancel-safe: lines
    /// are taken only when returned.
    pub async fn next(&mut self, after: &mut i64) -> Result<Vec<LogLine>, sqlx::Error> {
        loop {
            if !self.caught_up {
                let Ok(joined) = self.position.wait_for(Option::is_some).await.map(|p| p.unwrap_or(0)) else {
                    return Ok(std::future::pending().await);
                };
                let backlog = read::log_after(&self.pool, self.job, *after, PAGE).await?;
                let backlog: Vec<LogLine> = backlog.into_iter().filter(|line| line.id <= joined).collect();
                if backlog.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) {
                    self.caught_up = true;
                }
                if let Some(last) = backlog.last() {
                    *after = last.id;
                    return Ok(backlog);
                }
                continue;
            }
            match self.lines.recv().await {
                Ok(batch) => {
                    let new: Vec<LogLine> = batch.iter().filter(|line| line.id > *after).cloned().collect();
                    if let Some(last) = new.last() {
                        *after = last.id;
                        return Ok(new);
                    }
                }
                // Batches were missed: read what they held.
                Err(broadcast::error::RecvError::Lagged(_)) => self.caught_up = false,
                Err(broadcast::error::RecvError::Closed) => return Ok(std::future::pending().await),
            }
        }
    }
}
