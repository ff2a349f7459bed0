//! `jobs` and `job_attempts`: one row per job (kind, queue, state, attempts, timings, last error, output) and
//! one per attempt (worker, timings, outcome). A job's row appears with the event that requested it (`queued`)
//! and follows the facts of its stream `job-<id>`; the jobs page and `GET /api/v1/jobs` read it.
//!
//! Every update of a job row is guarded by the version of the job's stream it was made at, and attempts change
//! only with a row update that passed the guard, so applying an event twice, or an older one after a newer one,
//! changes nothing (the runner's contract: idempotent, never backwards).
//!
//! A batch reads the rows it touches once, applies its events to them in memory in order, and writes them back in
//! a few multi-row statements (`rows.rs`): a handful of statements per batch instead of two or three per event.

mod rows;

pub(crate) use rows::{JOB_COLUMNS, Job as JobRow};

use async_trait::async_trait;
use lawha_domain::{
    DomainEvent as _, RecordedEvent,
    jobs::{Job, JobEvent},
};
use lawha_jobs::registry;
use lawha_store::{EventFilter, Projection};
use sqlx::AnyConnection;
use uuid::Uuid;

use lawha_store::projection::stored_message as stored;

use self::rows::{Attempt, Job as Row, Rows};

/// The message code of an abandoned attempt's error (`lawha_domain::jobs::abandoned`).
const ABANDONED: &str = "jobs.abandoned";

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
        self.apply_batch(tx, &[event]).await
    }

    async fn apply_batch(&self, tx: &mut AnyConnection, events: &[&RecordedEvent]) -> Result<(), sqlx::Error> {
        let jobs: Vec<(&RecordedEvent, Option<String>)> = events.iter().map(|e| (*e, job_id(e))).collect();
        let mut rows = Rows::load(tx, jobs.iter().filter_map(|(_, id)| id.clone()).collect()).await?;
        for (event, id) in jobs {
            let Some(id) = id else {
                tracing::warn!(stream = %event.stream, "a job event outside a job-<uuid> stream is not shown");
                continue;
            };
            if event.stream.category() != "job" {
                requested(&mut rows, event, id);
                continue;
            }
            match JobEvent::from_recorded(event) {
                Ok(fact) => Fact { rows: &mut rows, event, job_id: id }.apply(&fact),
                // A fact this build cannot read (a newer schema) must not stop every other job's row.
                Err(error) => {
                    tracing::warn!(%error, position = event.position, "a job event does not decode and is not shown");
                }
            }
        }
        rows.store(tx).await
    }
}

/// The job an event is about: a requesting event's own id, or the id in its `job-<uuid>` stream.
fn job_id(event: &RecordedEvent) -> Option<String> {
    if event.stream.category() != "job" {
        return Some(event.event_id.to_string());
    }
    let id = event.stream.as_str().strip_prefix("job-").and_then(|id| Uuid::parse_str(id).ok())?;
    Some(id.to_string())
}

/// A requesting event: a queued row whose id is the event's id. When the registry refuses the request the
/// dispatcher records `JobDispatchFailed` later; until then the row shows what is known.
fn requested(rows: &mut Rows, event: &RecordedEvent, job_id: String) {
    let Some(spec) = registry::by_request(&event.event_type) else { return };
    let job = registry::job_for(event).ok();
    let max_attempts = job.as_ref().map_or(spec.max_attempts, |j| j.max_attempts);
    let correlation = event.metadata.correlation_id.unwrap_or(event.event_id);
    // A per-host kind's queue is its host's (`certificates.web-2`), not its family's.
    let queue = job.as_ref().map_or(spec.queue, |j| j.queue.as_str());
    rows.insert(queued(event, &event.event_type, job_id, spec.kind, queue, i64::from(max_attempts), correlation));
}

/// A queued row, as a request (or the first fact seen of a job) creates it.
fn queued(
    event: &RecordedEvent,
    requested_by: &str,
    job_id: String,
    kind: &str,
    queue: &str,
    max_attempts: i64,
    correlation: Uuid,
) -> Row {
    let at = event.recorded_at.timestamp_micros();
    Row {
        job_id,
        kind: kind.to_owned(),
        queue: queue.to_owned(),
        state: "queued".to_owned(),
        attempt: 0,
        max_attempts,
        correlation_id: Some(correlation.to_string()),
        requested_at: at,
        requested_by: requested_by.to_owned(),
        request_position: event.position,
        started_at: None,
        finished_at: None,
        next_run_at: None,
        last_error: None,
        duration_ms: None,
        output: None,
        stream_version: 0,
        updated_at: at,
    }
}

/// One job event being applied.
struct Fact<'a> {
    rows: &'a mut Rows,
    event: &'a RecordedEvent,
    job_id: String,
}

impl Fact<'_> {
    fn apply(mut self, fact: &JobEvent) {
        let at = self.event.recorded_at.timestamp_micros();
        match fact {
            JobEvent::JobStarted { attempt, worker, job } => {
                self.ensure(job);
                let started = self.update(|row| {
                    contract(row, *attempt, job);
                    row.state = "running".into();
                    row.started_at = row.started_at.or(Some(at));
                    row.finished_at = None;
                    row.next_run_at = None;
                });
                if started {
                    let change = Attempt {
                        worker: Some(worker.clone()),
                        started_at: Some(at),
                        outcome: "running".into(),
                        ..Attempt::default()
                    };
                    self.rows.attempt(&self.job_id, i64::from(*attempt), change);
                }
            }
            JobEvent::JobSucceeded { attempt, duration_ms, output } => {
                let succeeded = self.update(|row| {
                    row.state = "succeeded".into();
                    row.finished_at = Some(at);
                    row.duration_ms = Some(millis(*duration_ms));
                    row.output = Some(output.to_string());
                    row.next_run_at = None;
                });
                if succeeded {
                    let change = Attempt {
                        finished_at: Some(at),
                        outcome: "succeeded".into(),
                        duration_ms: Some(millis(*duration_ms)),
                        ..Attempt::default()
                    };
                    self.rows.attempt(&self.job_id, i64::from(*attempt), change);
                }
            }
            JobEvent::JobFailed { attempt, error, retryable, duration_ms } => {
                // An abandoned attempt (its worker died) is recorded when the job is delivered again, with no
                // duration: it ran from its start until it was found abandoned, which is what its row says.
                let abandoned = error.code == ABANDONED;
                let duration_ms = (!abandoned).then(|| millis(*duration_ms));
                // Like `JobState::apply`: only a permanent failure ends the job; a retryable one is followed, in
                // the same append, by a retry or a dead letter.
                let failed = self.update(|row| {
                    row.last_error = Some(stored(error));
                    row.duration_ms = duration_ms;
                    if !*retryable && row.state != "succeeded" {
                        row.state = "failed".into();
                        row.finished_at = Some(at);
                    }
                });
                if failed {
                    let outcome = if *retryable { "failed" } else { "failed_permanently" };
                    let change = Attempt {
                        finished_at: Some(at),
                        outcome: outcome.into(),
                        error: Some(stored(error)),
                        duration_ms,
                        ..Attempt::default()
                    };
                    self.rows.attempt(&self.job_id, i64::from(*attempt), change);
                    if abandoned {
                        self.rows.abandoned(&self.job_id, i64::from(*attempt));
                    }
                }
            }
            JobEvent::JobRetryScheduled { attempt, run_at, job, .. } => {
                self.ensure(job);
                self.update(|row| {
                    contract(row, *attempt, job);
                    row.state = "retrying".into();
                    row.next_run_at = Some(run_at.timestamp_micros());
                    row.finished_at = None;
                });
            }
            JobEvent::JobRetryRequested { attempt, job } => {
                self.ensure(job);
                self.update(|row| {
                    contract(row, *attempt, job);
                    row.state = "retrying".into();
                    row.next_run_at = None;
                    row.finished_at = None;
                });
            }
            JobEvent::JobDeadLettered { error, .. } => {
                self.update(|row| {
                    row.state = "dead".into();
                    row.last_error = Some(stored(error));
                    row.finished_at = Some(at);
                    row.next_run_at = None;
                });
            }
            JobEvent::JobDispatchFailed { requested_by, error } => {
                // A request no kind answers never got a row: give it one, so the failure is seen.
                let fallback = Uuid::parse_str(&self.job_id).unwrap_or_default();
                let row = queued(self.event, requested_by, self.job_id.clone(), "", "", 0, fallback);
                self.rows.insert(row);
                self.update(|row| {
                    row.state = "dispatch_failed".into();
                    row.last_error = Some(stored(error));
                    row.finished_at = Some(at);
                    row.next_run_at = None;
                });
            }
        }
    }

    /// Gives a job seen first through its own stream (its request predates this read model's kinds) a row.
    fn ensure(&mut self, job: &Job) {
        let row = queued(
            self.event,
            "",
            self.job_id.clone(),
            &job.kind,
            &job.queue,
            i64::from(job.max_attempts),
            job.correlation_id,
        );
        self.rows.insert(row);
    }

    /// Changes the job's row at this event's stream version, if the row is behind it; returns whether it did.
    fn update(&mut self, change: impl FnOnce(&mut Row)) -> bool {
        let at = self.event.recorded_at.timestamp_micros();
        self.rows.update(&self.job_id, self.event.version, at, change)
    }
}

/// The attempt, kind, queue and maximum of attempts from the contract as dispatched.
fn contract(row: &mut Row, attempt: u32, job: &Job) {
    row.attempt = i64::from(attempt);
    row.kind.clone_from(&job.kind);
    row.queue.clone_from(&job.queue);
    row.max_attempts = i64::from(job.max_attempts);
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
