//! Jobs: the contract a queue carries and the lifecycle of one job as facts in its own stream `job-<job id>`.
//!
//! A job is asked for by a `…Requested` event in some other stream (`AuditChainVerifyRequested`,
//! `BackupRequested`, …); its id is that event's id. The dispatcher puts a [`Job`] on a queue; a worker records
//! what happens to it here: started, succeeded, failed (retryable or not), retry scheduled, dead-lettered. The
//! rules (how many attempts, when a delivery counts as abandoned, which message is stale, what may be retried by
//! hand) are [`JobState::decide`]'s, so they are the same in every worker and tested without a queue.
//!
//! Every fact a worker records has an id derived from the job id and the step ([`JobEvent::event_id`]), so a
//! redelivered job or a retried append never records anything twice (invariant 4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    aggregate::{DomainEvent, UpcastError},
    event::event_id_for,
    message::{Message, upcast_text_field},
};

pub mod messages;
mod rules;

/// What a queue carries: ids and limits, never documents. Handlers re-read what they need when they run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The id of the event that requested the job; also the job stream's id.
    pub id: Uuid,
    /// The registered kind (`VerifyAuditChain`, `RunBackup`…).
    pub kind: String,
    /// The queue it travels on (`admin`, `backups`, `deployments.<host>`…).
    pub queue: String,
    /// The attempt this message is for, from 1.
    pub attempt: u32,
    /// Ties the job's events to the work that asked for it.
    pub correlation_id: Uuid,
    /// Kind-specific ids and options.
    #[serde(default)]
    pub payload: Value,
    /// The most attempts, fixed when the job was dispatched.
    pub max_attempts: u32,
    /// How long one attempt may run, in milliseconds.
    pub timeout_ms: u64,
    /// The first retry delay, in milliseconds; each further retry doubles it (with jitter).
    pub backoff_ms: u64,
}

/// The facts of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum JobEvent {
    /// A worker took the job and began an attempt.
    JobStarted {
        /// The attempt, from 1.
        attempt: u32,
        /// The worker's unique name (`kind-host-pid-run`).
        worker: String,
        /// The contract as dispatched, so a retry by hand sends the same job.
        job: Job,
    },
    /// The attempt succeeded; the job is done.
    JobSucceeded {
        /// The attempt that succeeded.
        attempt: u32,
        /// How long it ran.
        duration_ms: u64,
        /// A small result for the UI (counts, ids), or null.
        #[serde(default)]
        output: Value,
    },
    /// The attempt failed.
    JobFailed {
        /// The attempt that failed.
        attempt: u32,
        /// What went wrong, for the UI (never a secret).
        error: Message,
        /// Whether running it again may help (a timeout, a lost connection) or not (bad input).
        retryable: bool,
        /// How long it ran before failing.
        duration_ms: u64,
    },
    /// Another attempt will run after a delay.
    JobRetryScheduled {
        /// The attempt that will run.
        attempt: u32,
        /// The delay chosen (exponential with jitter).
        delay_ms: u64,
        /// When it becomes due.
        run_at: DateTime<Utc>,
        /// The message to queue, with `attempt` set.
        job: Job,
    },
    /// The job failed on its last allowed attempt; it waits for a person (Retry in the UI).
    JobDeadLettered {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        error: Message,
    },
    /// Someone asked to run a failed or dead job again (an audited command).
    JobRetryRequested {
        /// The attempt that will run.
        attempt: u32,
        /// The message to queue, with `attempt` set.
        job: Job,
    },
    /// The dispatcher could not queue the request (unknown kind, malformed payload); nothing will run.
    JobDispatchFailed {
        /// The type of the requesting event.
        requested_by: String,
        /// Why it could not be queued.
        error: Message,
    },
}

/// Schema 2 of the facts that carry an error: a [`Message`] where schema 1 stored English text, which the
/// upcaster keeps as [`Message::text`].
impl DomainEvent for JobEvent {
    fn schema_version(event_type: &str) -> i32 {
        match event_type {
            "JobFailed" | "JobDeadLettered" | "JobDispatchFailed" => 2,
            _ => 1,
        }
    }

    fn upcast(event_type: &str, schema_version: i32, mut data: Value) -> Result<Value, UpcastError> {
        if schema_version < 2 && matches!(event_type, "JobFailed" | "JobDeadLettered" | "JobDispatchFailed") {
            upcast_text_field(&mut data, "error");
        }
        Ok(data)
    }
}

impl JobEvent {
    /// The event's id, derived from the job id and the step, so recording it twice records it once.
    pub fn event_id(&self, job_id: Uuid) -> Uuid {
        let step = match self {
            Self::JobStarted { attempt, .. } => format!("started:{attempt}"),
            Self::JobSucceeded { .. } => "succeeded".to_owned(),
            Self::JobFailed { attempt, .. } => format!("failed:{attempt}"),
            Self::JobRetryScheduled { attempt, .. } => format!("retry:{attempt}"),
            Self::JobDeadLettered { attempts, .. } => format!("dead:{attempts}"),
            // A retry by hand is a new command each time; several may be asked for over a job's life.
            Self::JobRetryRequested { .. } => return Uuid::now_v7(),
            Self::JobDispatchFailed { .. } => "dispatch-failed".to_owned(),
        };
        event_id_for(job_id, &step)
    }
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JobStatus {
    /// Requested; waiting on its queue.
    #[default]
    Queued,
    /// An attempt is running (or its worker died and nobody noticed yet).
    Running {
        /// The attempt.
        attempt: u32,
    },
    /// Waiting for its next attempt (after a failure, or a retry by hand).
    Waiting {
        /// The attempt that will run.
        attempt: u32,
    },
    /// Done.
    Succeeded,
    /// Failed with an error that retrying does not fix.
    Failed,
    /// Failed on its last allowed attempt.
    Dead,
    /// Never queued.
    DispatchFailed,
}

impl JobStatus {
    /// The name the API and the read model use.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running { .. } => "running",
            Self::Waiting { .. } => "retrying",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::DispatchFailed => "dispatch_failed",
        }
    }
}

/// A job folded from its stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobState {
    /// Where it is.
    pub status: JobStatus,
    /// Attempts begun so far.
    pub attempts: u32,
    /// The last error recorded.
    pub last_error: Option<Message>,
    /// The contract, once a worker has seen it.
    pub job: Option<Job>,
}

/// How an attempt ended, as the runtime saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// The handler returned a result.
    Succeeded {
        /// Its small output.
        output: Value,
    },
    /// The handler failed, timed out or panicked.
    Failed {
        /// What went wrong.
        error: Message,
        /// Whether another attempt may help.
        retryable: bool,
    },
}

/// What the runtime and the API ask of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobCommand {
    /// A worker received `job` and wants to run it.
    Start {
        /// The message as received.
        job: Job,
        /// The worker's unique name.
        worker: String,
    },
    /// The attempt a worker ran has ended.
    Finish {
        /// The message it ran.
        job: Job,
        /// How it ended.
        result: AttemptResult,
        /// How long it ran.
        duration_ms: u64,
        /// The delay before the next attempt, should there be one (the runtime draws the jitter).
        retry_delay_ms: u64,
    },
    /// Run a failed or dead job again.
    Retry,
}

/// Why a job command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobRejection {
    /// The job already ended (succeeded, failed, dead or never queued); a message for it is a duplicate.
    #[error("the job has already ended ({status})")]
    Ended {
        /// Its status name.
        status: &'static str,
    },
    /// The message is for an attempt other than the one due (an older copy, or a newer one not yet due).
    #[error("the message is for attempt {got}, the job is at attempt {due}")]
    Stale {
        /// The message's attempt.
        got: u32,
        /// The attempt the job is at.
        due: u32,
    },
    /// Only failed and dead jobs may be retried by hand.
    #[error("only a failed or dead job can be retried; this one is {status}")]
    NotRetryable {
        /// Its status name.
        status: &'static str,
    },
    /// A job that was never queued cannot be retried: the same request would fail the same way.
    #[error("this job was never queued, so retrying it would fail the same way: {reason}")]
    NeverQueued {
        /// Why it was not queued.
        reason: Message,
    },
}

impl JobRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::Ended { status } => messages::ended(*status),
            Self::Stale { got, due } => messages::stale(*got, *due),
            Self::NotRetryable { status } => messages::not_retryable(*status),
            Self::NeverQueued { reason } => messages::never_queued(reason.clone()),
        }
    }
}

/// The error recorded for an attempt whose worker vanished without a result.
pub fn abandoned(attempt: u32) -> Message {
    messages::abandoned(attempt)
}

/// The delay before attempt `next` (2, 3, …): `backoff_ms × 2^(next-2)`, capped at an hour, with up to ±25 %
/// jitter from `unit` (a number in [0, 1) the caller draws), so failed jobs do not all come back at once.
pub fn retry_delay_ms(backoff_ms: u64, next: u32, unit: f64) -> u64 {
    const CAP_MS: u64 = 3_600_000;
    let exponent = next.saturating_sub(2).min(30);
    let base = backoff_ms.saturating_mul(1u64 << exponent).min(CAP_MS);
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let jittered = (base as f64 * (0.75 + 0.5 * unit.clamp(0.0, 1.0))) as u64;
    jittered.max(1)
}

#[cfg(test)]
mod tests;
