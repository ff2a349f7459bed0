//! "Worker lost, will be retried": a running attempt whose worker missed its heartbeat is shown so at once,
//! rather than as "Running" under a dead worker's name until the queue gives up on the worker (three missed
//! heartbeats) and another worker records the attempt as abandoned. The read model is not changed: only the
//! queue knows of heartbeats, and the log records the abandonment when the job runs again.

use chrono::DateTime;
use sqlx::AnyPool;

use crate::{http::health::Availability, jobs::read::JobSummary};

/// Whether an attempt that `worker` started at `started_at` (RFC 3339) lost its worker.
pub(super) fn attempt_lost(availability: &Availability, worker: Option<&str>, started_at: Option<&str>) -> bool {
    let Some(worker) = worker else { return false };
    let started = started_at.and_then(|at| DateTime::parse_from_rfc3339(at).ok()).map_or(0, |at| at.timestamp());
    availability.worker_lost(worker, started)
}

/// Whether the running job `job` has lost the worker of its current attempt.
pub(super) async fn job_lost(pool: &AnyPool, availability: &Availability, job: &JobSummary) -> bool {
    if job.state != "running" {
        return false;
    }
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT worker, started_at FROM job_attempts WHERE job_id = $1 AND attempt = $2")
            .bind(job.job_id.clone())
            .bind(job.attempt)
            .fetch_optional(pool)
            .await
            .unwrap_or_default();
    let Some((Some(worker), started)) = row else { return false };
    availability.worker_lost(&worker, started.unwrap_or(0) / 1_000_000)
}
