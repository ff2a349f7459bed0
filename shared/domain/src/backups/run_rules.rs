//! The run's rules: what a worker may record when, and what a person may ask of a finished run.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    messages,
    run::{RestoreTarget, RunEvent, RunStatus, Trigger},
};
use crate::aggregate::Aggregate;
use crate::message::Message;

/// What a caller (the API, the scheduler, a worker) asks of a run.
#[derive(Debug, Clone)]
pub enum RunCommand {
    /// Ask for a backup of a plan.
    Request {
        /// The run's id.
        run_id: Uuid,
        /// The plan.
        plan_id: Uuid,
        /// Who asks.
        trigger: Trigger,
    },
    /// A worker records a fact of its attempt (started, verifying, completed, failed).
    Record(RunEvent),
    /// Retention removes the archive.
    Prune {
        /// Which rule.
        reason: Message,
    },
    /// Ask to verify the archive again.
    Verify {
        /// Sealed identity for an encrypted archive.
        identity_secret: Option<String>,
    },
    /// Ask to restore the archive.
    Restore {
        /// Where to.
        target: RestoreTarget,
        /// Whether an existing folder may be replaced.
        overwrite: bool,
        /// Sealed identity for an encrypted archive.
        identity_secret: Option<String>,
    },
}

/// Why a run command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunRejection {
    /// Request on an existing run.
    #[error("the backup run already exists")]
    AlreadyExists,
    /// Anything but Request on a run that was never requested.
    #[error("no such backup run")]
    NotFound,
    /// A worker's fact that does not fit (the run completed already, a stale attempt).
    #[error("the run is {status}; {what} does not apply")]
    Stale {
        /// The run's status.
        status: &'static str,
        /// What was refused.
        what: &'static str,
    },
    /// Verify, restore or prune of a run without a verified archive.
    #[error("the run has no archive to {0}: only a completed, unpruned backup has one")]
    NoArchive(&'static str),
    /// A worker tried to record a request, or a person a worker's fact.
    #[error("{0} is not a worker's fact")]
    NotAFact(&'static str),
}

impl RunRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::run_exists(),
            Self::NotFound => messages::run_not_found(),
            Self::Stale { status, what } => messages::run_stale(*status, *what),
            Self::NoArchive(action) => messages::no_archive(*action),
            Self::NotAFact(event_type) => messages::not_a_fact(*event_type),
        }
    }
}

/// A run as its events leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupRun {
    /// The run and its plan, once requested.
    pub ids: Option<(Uuid, Uuid)>,
    /// Where it is.
    pub status: RunStatus,
    /// The attempt the last worker fact was for.
    pub attempt: u32,
    /// Set once completed.
    pub archive_path: Option<String>,
    /// Whether retention removed the archive.
    pub pruned: bool,
}

impl Aggregate for BackupRun {
    const CATEGORY: &'static str = "backup_run";
    type Command = RunCommand;
    type Event = RunEvent;
    type Rejection = RunRejection;

    fn apply(mut self, event: &RunEvent) -> Self {
        match event {
            RunEvent::BackupRequested { run_id, plan_id, .. } => self.ids = Some((*run_id, *plan_id)),
            RunEvent::BackupStarted { attempt, .. } => (self.status, self.attempt) = (RunStatus::Running, *attempt),
            RunEvent::BackupVerifying { attempt, .. } => {
                (self.status, self.attempt) = (RunStatus::Verifying, *attempt);
            }
            RunEvent::BackupCompleted { attempt, archive_path, .. } => {
                (self.status, self.attempt) = (RunStatus::Completed, *attempt);
                self.archive_path = Some(archive_path.clone());
            }
            RunEvent::BackupFailed { attempt, .. } => (self.status, self.attempt) = (RunStatus::Failed, *attempt),
            RunEvent::BackupPruned { .. } => self.pruned = true,
            RunEvent::BackupVerifyRequested { .. }
            | RunEvent::BackupVerified { .. }
            | RunEvent::BackupRestoreRequested { .. }
            | RunEvent::BackupRestored { .. }
            | RunEvent::BackupRestoreFailed { .. } => {}
        }
        self
    }

    fn decide(&self, command: &RunCommand, _now: DateTime<Utc>) -> Result<Vec<RunEvent>, RunRejection> {
        match command {
            RunCommand::Request { run_id, plan_id, trigger } => {
                if self.ids.is_some() {
                    return Err(RunRejection::AlreadyExists);
                }
                Ok(vec![RunEvent::BackupRequested { run_id: *run_id, plan_id: *plan_id, trigger: trigger.clone() }])
            }
            _ if self.ids.is_none() => Err(RunRejection::NotFound),
            RunCommand::Record(event) => self.record(event),
            RunCommand::Prune { reason } => {
                self.archive("prune")?;
                Ok(vec![RunEvent::BackupPruned { reason: reason.clone() }])
            }
            RunCommand::Verify { identity_secret } => {
                self.archive("verify")?;
                Ok(vec![RunEvent::BackupVerifyRequested {
                    run_id: self.run_id(),
                    identity_secret: identity_secret.clone(),
                }])
            }
            RunCommand::Restore { target, overwrite, identity_secret } => {
                self.archive("restore")?;
                Ok(vec![RunEvent::BackupRestoreRequested {
                    run_id: self.run_id(),
                    target: target.clone(),
                    overwrite: *overwrite,
                    identity_secret: identity_secret.clone(),
                }])
            }
        }
    }
}

impl BackupRun {
    /// The run's plan, once requested.
    pub fn plan_id(&self) -> Option<Uuid> {
        self.ids.map(|(_, plan)| plan)
    }

    fn run_id(&self) -> Uuid {
        self.ids.map(|(run, _)| run).unwrap_or_default()
    }

    fn archive(&self, what: &'static str) -> Result<(), RunRejection> {
        if self.status == RunStatus::Completed && !self.pruned { Ok(()) } else { Err(RunRejection::NoArchive(what)) }
    }

    /// A worker's fact: nothing once completed (a redelivered job must not write a second archive's facts), and
    /// nothing for an attempt older than the one already recorded.
    fn record(&self, event: &RunEvent) -> Result<Vec<RunEvent>, RunRejection> {
        let status = self.status.as_str();
        let attempt = match event {
            RunEvent::BackupStarted { attempt, .. }
            | RunEvent::BackupVerifying { attempt, .. }
            | RunEvent::BackupCompleted { attempt, .. }
            | RunEvent::BackupFailed { attempt, .. } => Some(*attempt),
            RunEvent::BackupVerified { .. }
            | RunEvent::BackupRestored { .. }
            | RunEvent::BackupRestoreFailed { .. } => None,
            RunEvent::BackupRequested { .. } => return Err(RunRejection::NotAFact("BackupRequested")),
            RunEvent::BackupPruned { .. } => return Err(RunRejection::NotAFact("BackupPruned")),
            RunEvent::BackupVerifyRequested { .. } => return Err(RunRejection::NotAFact("BackupVerifyRequested")),
            RunEvent::BackupRestoreRequested { .. } => return Err(RunRejection::NotAFact("BackupRestoreRequested")),
        };
        if let Some(attempt) = attempt {
            if self.status == RunStatus::Completed {
                return Err(RunRejection::Stale { status, what: "another attempt" });
            }
            if attempt < self.attempt {
                return Err(RunRejection::Stale { status, what: "an older attempt" });
            }
            let in_attempt = matches!(event, RunEvent::BackupVerifying { .. } | RunEvent::BackupCompleted { .. });
            if in_attempt && (self.attempt != attempt || self.status == RunStatus::Failed) {
                return Err(RunRejection::Stale { status, what: "a result without its start" });
            }
        }
        Ok(vec![event.clone()])
    }
}
