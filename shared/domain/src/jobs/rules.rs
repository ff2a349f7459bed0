//! The rules of a job's life, in one place: when a delivery starts an attempt, when a message is stale, when an
//! abandoned attempt counts, how a result is recorded (retry with backoff, dead letter) and what may be retried
//! by hand.

use chrono::{DateTime, Utc};

use super::{AttemptResult, Job, JobCommand, JobEvent, JobRejection, JobState, JobStatus, abandoned};
use crate::{aggregate::Aggregate, message::Message};

impl Aggregate for JobState {
    const CATEGORY: &'static str = "job";
    type Command = JobCommand;
    type Event = JobEvent;
    type Rejection = JobRejection;

    fn apply(mut self, event: &JobEvent) -> Self {
        match event {
            JobEvent::JobStarted { attempt, job, .. } => {
                self.status = JobStatus::Running { attempt: *attempt };
                self.attempts = self.attempts.max(*attempt);
                self.job = Some(job.clone());
            }
            JobEvent::JobSucceeded { .. } => self.status = JobStatus::Succeeded,
            JobEvent::JobFailed { error, retryable, .. } => {
                self.last_error = Some(error.clone());
                // A permanent failure ends the job; a retryable one is followed by a retry or a dead letter.
                if !retryable && !matches!(self.status, JobStatus::Succeeded) {
                    self.status = JobStatus::Failed;
                }
            }
            JobEvent::JobRetryScheduled { attempt, .. } | JobEvent::JobRetryRequested { attempt, .. } => {
                self.status = JobStatus::Waiting { attempt: *attempt };
            }
            JobEvent::JobDeadLettered { error, .. } => {
                self.status = JobStatus::Dead;
                self.last_error = Some(error.clone());
            }
            JobEvent::JobDispatchFailed { error, .. } => {
                self.status = JobStatus::DispatchFailed;
                self.last_error = Some(error.clone());
            }
        }
        self
    }

    fn decide(&self, command: &JobCommand, now: DateTime<Utc>) -> Result<Vec<JobEvent>, JobRejection> {
        match command {
            JobCommand::Start { job, worker } => self.start(job, worker),
            JobCommand::Finish { job, result, duration_ms, retry_delay_ms } => {
                Ok(self.finish(job, result, *duration_ms, *retry_delay_ms, now))
            }
            JobCommand::Retry => self.retry(),
        }
    }
}

impl JobState {
    fn ended(&self) -> Option<&'static str> {
        matches!(self.status, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Dead | JobStatus::DispatchFailed)
            .then(|| self.status.name())
    }

    fn start(&self, job: &Job, worker: &str) -> Result<Vec<JobEvent>, JobRejection> {
        if let Some(status) = self.ended() {
            return Err(JobRejection::Ended { status });
        }
        let started =
            |attempt| JobEvent::JobStarted { attempt, worker: worker.to_owned(), job: Job { attempt, ..job.clone() } };
        match self.status {
            JobStatus::Queued if job.attempt == 1 => Ok(vec![started(1)]),
            JobStatus::Queued => Err(JobRejection::Stale { got: job.attempt, due: 1 }),
            JobStatus::Waiting { attempt } if job.attempt == attempt => Ok(vec![started(attempt)]),
            JobStatus::Waiting { attempt } => Err(JobRejection::Stale { got: job.attempt, due: attempt }),
            // The message of the running attempt came again: its worker died (the queue re-delivers only
            // after missed heartbeats). That attempt counts, so a job that kills its worker cannot loop.
            JobStatus::Running { attempt } if job.attempt <= attempt => {
                let error = abandoned(attempt);
                let failed = JobEvent::JobFailed { attempt, error: error.clone(), retryable: true, duration_ms: 0 };
                if attempt < job.max_attempts {
                    Ok(vec![failed, started(attempt + 1)])
                } else {
                    Ok(vec![failed, JobEvent::JobDeadLettered { attempts: attempt, error }])
                }
            }
            JobStatus::Running { attempt } => Err(JobRejection::Stale { got: job.attempt, due: attempt }),
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Dead | JobStatus::DispatchFailed => {
                Err(JobRejection::Ended { status: self.status.name() })
            }
        }
    }

    fn finish(
        &self,
        job: &Job,
        result: &AttemptResult,
        duration_ms: u64,
        retry_delay_ms: u64,
        now: DateTime<Utc>,
    ) -> Vec<JobEvent> {
        let attempt = job.attempt;
        let current = matches!(self.status, JobStatus::Running { attempt: a } if a == attempt);
        match result {
            // Work that succeeded did happen, even when its attempt was given up for dead meanwhile; the newer
            // attempt then finds the job done. Recording success twice is impossible (one id per job).
            AttemptResult::Succeeded { output } if self.status != JobStatus::Succeeded => {
                vec![JobEvent::JobSucceeded { attempt, duration_ms, output: output.clone() }]
            }
            AttemptResult::Succeeded { .. } => vec![],
            // The failure of an attempt that is no longer the current one changes nothing.
            AttemptResult::Failed { .. } if !current => vec![],
            AttemptResult::Failed { error, retryable } => {
                let failed = JobEvent::JobFailed { attempt, error: error.clone(), retryable: *retryable, duration_ms };
                if !retryable {
                    vec![failed]
                } else if attempt < job.max_attempts {
                    let next = attempt + 1;
                    let delay = chrono::Duration::milliseconds(i64::try_from(retry_delay_ms).unwrap_or(i64::MAX));
                    vec![
                        failed,
                        JobEvent::JobRetryScheduled {
                            attempt: next,
                            delay_ms: retry_delay_ms,
                            run_at: now + delay,
                            job: Job { attempt: next, ..job.clone() },
                        },
                    ]
                } else {
                    vec![failed, JobEvent::JobDeadLettered { attempts: attempt, error: error.clone() }]
                }
            }
        }
    }

    fn retry(&self) -> Result<Vec<JobEvent>, JobRejection> {
        match (&self.status, &self.job) {
            (JobStatus::Failed | JobStatus::Dead, Some(job)) => {
                let attempt = self.attempts + 1;
                Ok(vec![JobEvent::JobRetryRequested { attempt, job: Job { attempt, ..job.clone() } }])
            }
            (JobStatus::DispatchFailed, _) => {
                Err(JobRejection::NeverQueued { reason: self.last_error.clone().unwrap_or_else(|| Message::text("")) })
            }
            (status, _) => Err(JobRejection::NotRetryable { status: status.name() }),
        }
    }
}
