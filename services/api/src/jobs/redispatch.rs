//! The safety net under the queue: jobs that have waited on their queue for longer than `jobs.redispatch_after_secs`
//! are pushed again. A queue that still holds the message drops the copy (the push is keyed by the asking event's
//! id, as the dispatcher's was); a queue that lost it (Redis restarted without persistence, a queue file deleted)
//! gets it back, so every requested job runs. The runtime acknowledges and drops any copy of a job that already
//! ended, so a stray second copy runs nothing twice.

use std::time::Duration;

use chrono::Utc;
use lawha_domain::{
    Aggregate as _, DomainEvent as _,
    jobs::{JobEvent, JobState},
};
use lawha_jobs::{
    queue::{Outgoing, Queues},
    registry,
};
use lawha_store::{Database, EventFilter};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Jobs looked at per sweep; the rest wait for the next one.
const PER_SWEEP: i64 = 500;

/// Sweeps every quarter of `after` (at most every minute) until `stop` is cancelled.
pub async fn run(db: Database, queues: Queues, after: Duration, stop: CancellationToken) {
    let every = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match sweep(&db, &queues, after).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(jobs = n, "queued again jobs that waited too long on their queue");
                metrics::counter!("lawha_jobs_redispatched_total").increment(u64::try_from(n).unwrap_or(0));
            }
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "could not look for jobs lost by the queue"),
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
    let mut pushes = Vec::new();
    for (job_id, state, position) in rows {
        let Ok(id) = Uuid::parse_str(&job_id) else { continue };
        let outgoing =
            if state == "queued" { first_message(db, id, position).await? } else { retry_message(db, id).await? };
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

/// The message of the retry the job waits for: its last `JobRetryScheduled` or `JobRetryRequested`, due now.
async fn retry_message(db: &Database, id: Uuid) -> anyhow::Result<Option<Outgoing>> {
    let events = db.events.read_stream(&JobState::stream(id), 0, i64::MAX).await?;
    Ok(events.iter().rev().find_map(|e| match JobEvent::from_recorded(e).ok()? {
        JobEvent::JobRetryScheduled { job, .. } | JobEvent::JobRetryRequested { job, .. } => {
            Some(Outgoing { job, key: e.event_id, run_at: None })
        }
        _ => None,
    }))
}
