//! `jobs` and `job_attempts`: one row per job (kind, queue, state, attempts, timings, last error, output) and
//! one per attempt (worker, timings, outcome). A job's row appears with the event that requested it (`queued`)
//! and follows the facts of its stream `job-<id>`; the jobs page and `GET /api/v1/jobs` read it.
//!
//! Every update of a job row is guarded by the version of the job's stream it was made at, and attempts change
//! only with a row update that passed the guard, so applying an event twice, or an older one after a newer one,
//! changes nothing (the runner's contract: idempotent, never backwards).

use async_trait::async_trait;
use lawha_domain::{
    DomainEvent as _, RecordedEvent,
    jobs::{Job, JobEvent},
};
use lawha_jobs::registry;
use lawha_store::{EventFilter, Projection};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The stored type names of [`JobEvent`], which only the `job` category carries.
pub const JOB_EVENT_TYPES: [&str; 7] = [
    "JobStarted",
    "JobSucceeded",
    "JobFailed",
    "JobRetryScheduled",
    "JobDeadLettered",
    "JobRetryRequested",
    "JobDispatchFailed",
];

/// The jobs projection.
#[derive(Debug, Clone, Copy)]
pub struct Jobs;

#[async_trait]
impl Projection for Jobs {
    fn name(&self) -> &'static str {
        "jobs"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["jobs", "job_attempts"]
    }

    /// The requesting events of every registered kind, and the job events: both by type, since a filter's
    /// categories and types must both match.
    fn filter(&self) -> EventFilter {
        EventFilter::types(registry::KINDS.iter().map(|k| k.requested_by).chain(JOB_EVENT_TYPES))
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        if event.stream.category() != "job" {
            return requested(tx, event).await;
        }
        let Some(job_id) = event.stream.as_str().strip_prefix("job-").and_then(|id| Uuid::parse_str(id).ok()) else {
            tracing::warn!(stream = %event.stream, "a job event outside a job-<uuid> stream is not shown");
            return Ok(());
        };
        match JobEvent::from_recorded(event) {
            Ok(fact) => Fact { tx, event, job_id: job_id.to_string() }.apply(&fact).await,
            // A fact this build cannot read (a newer schema) must not stop every other job's row.
            Err(error) => {
                tracing::warn!(%error, position = event.position, "a job event does not decode and is not shown");
                Ok(())
            }
        }
    }
}

/// A requesting event: a queued row whose id is the event's id. When the registry refuses the request the
/// dispatcher records `JobDispatchFailed` later; until then the row shows what is known.
async fn requested(tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
    let Some(spec) = registry::by_request(&event.event_type) else { return Ok(()) };
    let job = registry::job_for(event).ok();
    let max_attempts = job.as_ref().map_or(spec.max_attempts, |j| j.max_attempts);
    let correlation = event.metadata.correlation_id.unwrap_or(event.event_id);
    insert(tx, event, &event.event_id.to_string(), spec.kind, spec.queue, i64::from(max_attempts), correlation).await
}

/// Inserts a queued row unless the job already has one.
async fn insert(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    job_id: &str,
    kind: &str,
    queue: &str,
    max_attempts: i64,
    correlation: Uuid,
) -> Result<(), sqlx::Error> {
    let at = event.recorded_at.timestamp_micros();
    sqlx::query(
        "INSERT INTO jobs (job_id, kind, queue, state, attempt, max_attempts, correlation_id, requested_at, \
         requested_by, request_position, stream_version, updated_at) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $8, 0, $6) ON CONFLICT (job_id) DO NOTHING",
    )
    .bind(job_id.to_owned())
    .bind(kind.to_owned())
    .bind(queue.to_owned())
    .bind(max_attempts)
    .bind(correlation.to_string())
    .bind(at)
    .bind(event.event_type.clone())
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

/// One job event being applied.
struct Fact<'a> {
    tx: &'a mut AnyConnection,
    event: &'a RecordedEvent,
    job_id: String,
}

impl Fact<'_> {
    async fn apply(mut self, fact: &JobEvent) -> Result<(), sqlx::Error> {
        let at = self.event.recorded_at.timestamp_micros();
        match fact {
            JobEvent::JobStarted { attempt, worker, job } => {
                self.ensure(job).await?;
                let set = "state = 'running', attempt = $3, kind = $4, queue = $5, max_attempts = $6, \
                           started_at = COALESCE(started_at, $7), finished_at = NULL, next_run_at = NULL";
                if self.update(set, &contract(*attempt, job, Some(Bind::Int(at)))).await? {
                    self.attempt(*attempt, "running", Some(worker), Some(at), None, None, None).await?;
                }
            }
            JobEvent::JobSucceeded { attempt, duration_ms, output } => {
                let set = "state = 'succeeded', finished_at = $3, duration_ms = $4, output = $5, next_run_at = NULL";
                let binds = [Bind::Int(at), Bind::Int(millis(*duration_ms)), Bind::Text(Some(output.to_string()))];
                if self.update(set, &binds).await? {
                    self.attempt(*attempt, "succeeded", None, None, Some(at), None, Some(*duration_ms)).await?;
                }
            }
            JobEvent::JobFailed { attempt, error, retryable, duration_ms } => {
                // Like `JobState::apply`: only a permanent failure ends the job; a retryable one is followed, in
                // the same append, by a retry or a dead letter.
                let set = "last_error = $3, duration_ms = $4, \
                           state = CASE WHEN $5 = 0 AND state <> 'succeeded' THEN 'failed' ELSE state END, \
                           finished_at = CASE WHEN $5 = 0 AND state <> 'succeeded' THEN $6 ELSE finished_at END";
                let binds = [
                    Bind::Text(Some(error.clone())),
                    Bind::Int(millis(*duration_ms)),
                    Bind::Int(i64::from(*retryable)),
                    Bind::Int(at),
                ];
                if self.update(set, &binds).await? {
                    let outcome = if *retryable { "failed" } else { "failed_permanently" };
                    self.attempt(*attempt, outcome, None, None, Some(at), Some(error), Some(*duration_ms)).await?;
                }
            }
            JobEvent::JobRetryScheduled { attempt, run_at, job, .. } => {
                self.ensure(job).await?;
                let set = "state = 'retrying', attempt = $3, kind = $4, queue = $5, max_attempts = $6, \
                           next_run_at = $7, finished_at = NULL";
                let run_at = Bind::Int(run_at.timestamp_micros());
                self.update(set, &contract(*attempt, job, Some(run_at))).await?;
            }
            JobEvent::JobRetryRequested { attempt, job } => {
                self.ensure(job).await?;
                let set = "state = 'retrying', attempt = $3, kind = $4, queue = $5, max_attempts = $6, \
                           next_run_at = NULL, finished_at = NULL";
                self.update(set, &contract(*attempt, job, None)).await?;
            }
            JobEvent::JobDeadLettered { error, .. } => {
                let set = "state = 'dead', last_error = $3, finished_at = $4, next_run_at = NULL";
                self.update(set, &[Bind::Text(Some(error.clone())), Bind::Int(at)]).await?;
            }
            JobEvent::JobDispatchFailed { requested_by, error } => {
                // A request no kind answers never got a row: give it one, so the failure is seen.
                let fallback = Uuid::parse_str(&self.job_id).unwrap_or_default();
                let event = RecordedEvent { event_type: requested_by.clone(), ..self.event.clone() };
                insert(&mut *self.tx, &event, &self.job_id, "", "", 0, fallback).await?;
                let set = "state = 'dispatch_failed', last_error = $3, finished_at = $4, next_run_at = NULL";
                self.update(set, &[Bind::Text(Some(error.clone())), Bind::Int(at)]).await?;
            }
        }
        Ok(())
    }

    /// Gives a job seen first through its own stream (its request predates this read model's kinds) a row.
    async fn ensure(&mut self, job: &Job) -> Result<(), sqlx::Error> {
        let event = RecordedEvent { event_type: String::new(), ..self.event.clone() };
        let (kind, queue) = (job.kind.as_str(), job.queue.as_str());
        insert(&mut *self.tx, &event, &self.job_id, kind, queue, i64::from(job.max_attempts), job.correlation_id).await
    }

    /// `UPDATE jobs SET <set>` at this event's stream version, if the row is behind it; `$1` is the job id, `$2`
    /// the version, `binds` fill `$3`…. Returns whether the row changed.
    async fn update(&mut self, set: &str, binds: &[Bind]) -> Result<bool, sqlx::Error> {
        let n = binds.len() + 3;
        let sql = format!(
            "UPDATE jobs SET {set}, stream_version = $2, updated_at = ${n} WHERE job_id = $1 AND stream_version < $2"
        );
        // The SET clauses are the fixed texts above; every value is a bind.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.job_id.clone()).bind(self.event.version);
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(*value),
                Bind::Text(value) => query.bind(value.clone()),
            };
        }
        let done = query.bind(self.event.recorded_at.timestamp_micros()).execute(&mut *self.tx).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records what is known of one attempt; fields given as `None` keep what the row has.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &mut self,
        attempt: u32,
        outcome: &str,
        worker: Option<&String>,
        started_at: Option<i64>,
        finished_at: Option<i64>,
        error: Option<&String>,
        duration_ms: Option<u64>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (job_id, attempt) DO UPDATE SET \
             worker = COALESCE(excluded.worker, job_attempts.worker), \
             started_at = COALESCE(excluded.started_at, job_attempts.started_at), \
             finished_at = COALESCE(excluded.finished_at, job_attempts.finished_at), \
             outcome = excluded.outcome, error = COALESCE(excluded.error, job_attempts.error), \
             duration_ms = COALESCE(excluded.duration_ms, job_attempts.duration_ms)",
        )
        .bind(self.job_id.clone())
        .bind(i64::from(attempt))
        .bind(worker.cloned())
        .bind(started_at)
        .bind(finished_at)
        .bind(outcome.to_owned())
        .bind(error.cloned())
        .bind(duration_ms.map(millis))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

/// A value for a numbered placeholder: read models hold integers and text only.
#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Text(Option<String>),
}

/// The attempt, then `kind`, `queue` and `max_attempts` from the contract as dispatched, then `more`.
fn contract(attempt: u32, job: &Job, more: Option<Bind>) -> Vec<Bind> {
    let mut binds = vec![
        Bind::Int(i64::from(attempt)),
        Bind::Text(Some(job.kind.clone())),
        Bind::Text(Some(job.queue.clone())),
        Bind::Int(i64::from(job.max_attempts)),
    ];
    binds.extend(more);
    binds
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
