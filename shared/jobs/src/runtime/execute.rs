//! One delivery of one message: decide whether it starts an attempt (the job's stream says whether it is new, a
//! re-delivery of an abandoned attempt, a stale copy or already done), run the body with its timeout and with
//! panics caught, and record the outcome. Every fact goes to `job-<id>` with an id derived from the job and the
//! step, appended at the version it was decided on; a concurrent write makes it decide again.

use std::{panic::AssertUnwindSafe, time::Instant};

use anyhow::Context as _;
use apalis::prelude::WorkerContext;
use futures::FutureExt as _;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata,
    jobs::{AttemptResult, Job, JobCommand, JobEvent, JobState, retry_delay_ms},
    load,
};
use lawha_store::AppendError;
use serde_json::Value;
use tracing::Instrument as _;

use super::{Inner, JobContext, JobError};
use crate::messages;

/// How often a decision is retried when someone else wrote to the job's stream meanwhile.
const CONFLICT_RETRIES: usize = 5;
/// How often recording is retried when the database fails, before the message is handed back to the queue.
const STORE_RETRIES: u32 = 6;

pub(super) async fn run(inner: &Inner, job: Job, worker: WorkerContext) -> anyhow::Result<()> {
    let span = tracing::info_span!(
        "job",
        job.id = %job.id,
        job.kind = %job.kind,
        job.attempt = job.attempt,
        correlation_id = %job.correlation_id,
        worker = worker.name(),
    );
    async move {
        let name = worker.name().to_owned();
        let start = JobCommand::Start { job: job.clone(), worker: name.clone() };
        // A first attempt's stream is almost always empty: decide on that without reading it. When it is not (a
        // re-delivery, a second copy), the append conflicts and the stream is read after all.
        let fresh = (job.attempt <= 1).then(|| (JobState::default(), 0));
        let Some((recorded, known)) = record(inner, &job, &name, &start, fresh).await? else { return Ok(()) };
        let Some(attempt) = recorded.iter().find_map(|e| match e {
            JobEvent::JobStarted { attempt, .. } => Some(*attempt),
            _ => None,
        }) else {
            // The re-delivery of an abandoned last attempt: recorded as dead, nothing to run.
            metrics::counter!("lawha_jobs_dead_total", "kind" => job.kind.clone()).increment(1);
            return Ok(());
        };
        let job = Job { attempt, ..job };
        metrics::counter!("lawha_jobs_started_total", "kind" => job.kind.clone()).increment(1);
        let context = JobContext { job: job.clone(), worker: name.clone(), log: inner.log.clone(), shutdown: worker };
        let began = Instant::now();
        let result = attempt_once(inner, &context).await;
        let duration = began.elapsed();
        metrics::histogram!("lawha_job_duration_seconds", "kind" => job.kind.clone()).record(duration.as_secs_f64());
        let result = match result {
            Ok(output) => AttemptResult::Succeeded { output },
            Err(JobError::Retryable(error)) => AttemptResult::Failed { error, retryable: true },
            Err(JobError::Permanent(error)) => AttemptResult::Failed { error, retryable: false },
        };
        let finish = JobCommand::Finish {
            job: job.clone(),
            result,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            retry_delay_ms: retry_delay_ms(job.backoff_ms, attempt + 1, rand::random::<f64>()),
        };
        for event in record(inner, &job, &name, &finish, Some(known)).await?.map(|(e, _)| e).unwrap_or_default() {
            count(&job.kind, &event);
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// Runs the body once: its own timeout, a panic caught as a failure, a kind without a handler here a failure.
async fn attempt_once(inner: &Inner, context: &JobContext) -> Result<Value, JobError> {
    let job = &context.job;
    let Some(handler) = inner.handlers.get(job.kind.as_str()) else {
        return Err(JobError::Retryable(messages::no_handler(&context.worker, &job.kind)));
    };
    let timeout = std::time::Duration::from_millis(job.timeout_ms);
    match tokio::time::timeout(timeout, AssertUnwindSafe(handler.run(context)).catch_unwind()).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %message, "job panicked");
            Err(JobError::Retryable(messages::panicked(message)))
        }
        Err(_) => Err(JobError::Retryable(messages::timed_out(job.timeout_ms))),
    }
}

/// The job's state and its stream's version, as of the last read or write.
type Known = (JobState, i64);

/// Decides `command` on the job's stream and appends the facts; returns them with the state after them, or None
/// when the job refuses the command (ended, or a stale copy of the message). `known` (what the previous record
/// left, or an empty stream for a first attempt) saves reading the stream; a concurrent write, or facts found
/// already stored, make it read. Retries on a concurrent write and, with backoff, on a database failure.
async fn record(
    inner: &Inner,
    job: &Job,
    worker: &str,
    command: &JobCommand,
    mut known: Option<Known>,
) -> anyhow::Result<Option<(Vec<JobEvent>, Known)>> {
    let stream = JobState::stream(job.id);
    let metadata = Metadata {
        actor: Some(format!("worker:{worker}")),
        correlation_id: Some(job.correlation_id),
        causation_id: Some(job.id),
        ..Metadata::default()
    };
    let mut conflicts = 0;
    let mut failures = 0;
    loop {
        let outcome = async {
            let read = known.is_none();
            let (state, version) = match known.take() {
                Some(known) => known,
                None => {
                    let history = inner.store.read_stream(&stream, 0, i64::MAX).await?;
                    load::<JobState>(&history).context("reading the job's stream")?
                }
            };
            let events = match state.decide(command, chrono::Utc::now()) {
                Ok(events) => events,
                Err(rejection) => {
                    tracing::debug!(%rejection, "message not run");
                    return Ok(None);
                }
            };
            if events.is_empty() {
                return Ok(Some((events, (state, version))));
            }
            let new = events.iter().map(|e| e.to_new_event_with_id(e.event_id(job.id), metadata.clone())).collect();
            let appended = inner.store.append(&stream, ExpectedVersion::Exact(version), new).await?;
            if appended.already_applied && !read {
                // These very facts are stored already, so the state they were decided on without reading was not
                // the stream's (a re-delivered message whose attempt had begun): decide again on the stream.
                return Err(Failure::Conflict);
            }
            let after = events.iter().fold(state, |state, e| state.apply(e));
            Ok(Some((events, (after, appended.stream_version))))
        }
        .await;
        match outcome {
            Ok(result) => return Ok(result),
            Err(Failure::Conflict) if conflicts < CONFLICT_RETRIES => conflicts += 1,
            Err(failure) if failures < STORE_RETRIES => {
                failures += 1;
                let delay = std::time::Duration::from_millis(200 << failures);
                tracing::warn!(error = %failure, retry_in_ms = delay.as_millis(), "could not record the job's progress");
                tokio::time::sleep(delay).await;
            }
            Err(failure) => return Err(anyhow::anyhow!("recording the job's progress: {failure}")),
        }
    }
}

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("someone else wrote to the job's stream")]
    Conflict,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<AppendError> for Failure {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict { .. } => Self::Conflict,
            other => Self::Other(other.into()),
        }
    }
}

impl From<lawha_store::StoreError> for Failure {
    fn from(error: lawha_store::StoreError) -> Self {
        Self::Other(error.into())
    }
}

fn count(kind: &str, event: &JobEvent) {
    let name = match event {
        JobEvent::JobSucceeded { .. } => "lawha_jobs_succeeded_total",
        JobEvent::JobFailed { .. } => "lawha_jobs_failed_total",
        JobEvent::JobRetryScheduled { .. } => "lawha_jobs_retried_total",
        JobEvent::JobDeadLettered { .. } => "lawha_jobs_dead_total",
        _ => return,
    };
    metrics::counter!(name, "kind" => kind.to_owned()).increment(1);
}
