//! The safety net under the queue, in two parts.
//!
//! - **A queue that lost its messages** is noticed within a second (`lawha_jobs::queue::Marker`: a marker key
//!   under the namespace, gone when Redis restarted without persistence or was flushed), and every job the log
//!   says is waiting is pushed again at once: queued ones due now, retries at the time they were due. Before, they
//!   sat "queued" until the sweep below, about five minutes. The same look tells readiness whether the queue
//!   answers, and the job pages whose worker missed its heartbeat (`http::health::Availability`).
//! - **The sweep**: jobs that have waited on their queue for longer than `jobs.redispatch_after_secs` are pushed
//!   again, for whatever else loses a message.
//!
//! A queue that still holds a message drops the copy (the push is keyed by the asking event's id, as the
//! dispatcher's was); the runtime acknowledges and drops any copy of a job that already ended, so a stray second
//! copy runs nothing twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lawha_domain::{
    Aggregate as _, DomainEvent as _,
    jobs::{JobEvent, JobState},
};
use lawha_jobs::{
    queue::{Marker, Outgoing, Queues},
    registry,
};
use lawha_store::{Database, EventFilter};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::http::health::{Availability, QueueState};

/// Jobs looked at per sweep; the rest wait for the next one.
const PER_SWEEP: i64 = 500;
/// How often the queue's marker is looked at.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Watches the queue every [`WATCH_EVERY`] and sweeps every quarter of `after` (at most every minute) until
/// `stop` is cancelled.
pub async fn run(db: Database, queues: Queues, after: Duration, availability: Availability, stop: CancellationToken) {
    let every = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut next_sweep = tokio::time::Instant::now() + every;
    let mut marker = None;
    loop {
        match queues.check_marker(&mut marker).await {
            Ok(Marker::Lost) => {
                availability.set_queue(QueueState::Ok);
                match put_back(&db, &queues).await {
                    Ok(n) => {
                        tracing::warn!(
                            jobs = n,
                            "the queue lost its messages (Redis restarted without persistence?); queued again what waits"
                        );
                        metrics::counter!("lawha_jobs_redispatched_total").increment(u64::try_from(n).unwrap_or(0));
                    }
                    Err(error) => {
                        // Look again next time: forget the marker so that it counts as lost once more.
                        marker = None;
                        tracing::warn!(error = %format!("{error:#}"), "could not queue again what a queue lost");
                    }
                }
            }
            Ok(_) => availability.set_queue(QueueState::Ok),
            Err(error) => {
                availability.set_queue(QueueState::Unreachable { since: Utc::now(), error: error.to_string() })
            }
        }
        // Whose heartbeat is late, for the job pages ("worker lost, will be retried").
        match queues.worker_heartbeats().await {
            Ok(heartbeats) => availability.set_workers(heartbeats),
            Err(error) => tracing::debug!(%error, "could not read the workers' heartbeats"),
        }
        if tokio::time::Instant::now() >= next_sweep {
            next_sweep = tokio::time::Instant::now() + every;
            match sweep(&db, &queues, after).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(jobs = n, "queued again jobs that waited too long on their queue");
                    metrics::counter!("lawha_jobs_redispatched_total").increment(u64::try_from(n).unwrap_or(0));
                }
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "could not look for jobs lost by the queue")
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(WATCH_EVERY) => {}
        }
    }
}

/// Pushes again every job waiting on its queue since before `now - after`; returns how many.
pub async fn sweep(db: &Database, queues: &Queues, after: Duration) -> anyhow::Result<usize> {
    let cutoff = Utc::now().timestamp_micros() - i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT job_id, state, request_position FROM jobs \
         WHERE (state = 'queued' AND requested_at < $1) \
            OR (state = 'retrying' AND COALESCE(next_run_at, updated_at) < $1) \
         ORDER BY request_position LIMIT $2",
    )
    .bind(cutoff)
    .bind(PER_SWEEP)
    .fetch_all(&db.read_models)
    .await?;
    push(db, queues, rows, false).await
}

/// Pushes again every job the log says is waiting on its queue, whenever it was queued: retries at the time they
/// are due. Returns how many.
pub async fn put_back(db: &Database, queues: &Queues) -> anyhow::Result<usize> {
    let mut pushed = 0;
    let mut from = 0_i64;
    loop {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT job_id, state, request_position FROM jobs \
             WHERE state IN ('queued', 'retrying') AND request_position > $1 \
             ORDER BY request_position LIMIT $2",
        )
        .bind(from)
        .bind(PER_SWEEP)
        .fetch_all(&db.read_models)
        .await?;
        let Some(last) = rows.last().map(|(_, _, position)| *position) else { return Ok(pushed) };
        let full = i64::try_from(rows.len()).unwrap_or(0) == PER_SWEEP;
        pushed += push(db, queues, rows, true).await?;
        if !full {
            return Ok(pushed);
        }
        from = last;
    }
}

/// Builds and pushes the messages of `rows` (job id, state, request position); `keep_due` keeps a retry's
/// due time instead of making it due now.
async fn push(
    db: &Database,
    queues: &Queues,
    rows: Vec<(String, String, i64)>,
    keep_due: bool,
) -> anyhow::Result<usize> {
    let mut pushes = Vec::new();
    for (job_id, state, position) in rows {
        let Ok(id) = Uuid::parse_str(&job_id) else { continue };
        let outgoing = if state == "queued" {
            first_message(db, id, position).await?
        } else {
            retry_message(db, id, keep_due).await?
        };
        pushes.extend(outgoing);
    }
    if !pushes.is_empty() {
        queues.push(&pushes).await?;
    }
    Ok(pushes.len())
}

/// The first message of the job requested at `position`, as the dispatcher built it.
async fn first_message(db: &Database, id: Uuid, position: i64) -> anyhow::Result<Option<Outgoing>> {
    let events = db.events.read_all(position - 1, 1, &EventFilter::all()).await?;
    Ok(events.into_iter().find(|e| e.event_id == id).and_then(|e| registry::job_for(&e).ok()).map(|job| Outgoing {
        job,
        key: id,
        run_at: None,
    }))
}

/// The message of the retry the job waits for: its last `JobRetryScheduled` (due at its time when `keep_due` and
/// that is still ahead, else now) or `JobRetryRequested` (now).
async fn retry_message(db: &Database, id: Uuid, keep_due: bool) -> anyhow::Result<Option<Outgoing>> {
    let events = db.events.read_stream(&JobState::stream(id), 0, i64::MAX).await?;
    let due = |run_at: DateTime<Utc>| (keep_due && run_at > Utc::now()).then_some(run_at);
    Ok(events.iter().rev().find_map(|e| match JobEvent::from_recorded(e).ok()? {
        JobEvent::JobRetryScheduled { job, run_at, .. } => Some(Outgoing { job, key: e.event_id, run_at: due(run_at) }),
        JobEvent::JobRetryRequested { job, .. } => Some(Outgoing { job, key: e.event_id, run_at: None }),
        _ => None,
    }))
}
