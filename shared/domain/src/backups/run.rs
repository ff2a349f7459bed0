//! The run aggregate: one backup of a plan, from its request to a verified archive (or a precise failure), and
//! what happens to that archive afterwards: verifications, restores, pruning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use serde_json::Value;

use crate::{
    aggregate::{DomainEvent, UpcastError},
    event::event_id_for,
    message::{Message, upcast_text_field},
};

/// Who asked for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Trigger {
    /// A person or a token, through the API or the UI.
    Manual,
    /// The plan's schedule, for this slot.
    Schedule {
        /// The slot the scheduler fired for.
        slot: DateTime<Utc>,
    },
}

/// Where a restore writes: a new folder or file, or a database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreTarget {
    /// A folder (directory plans) or a SQLite file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A database URL, its password replaced by `***`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The URL's password: `secret:<id>`, or the sealed value in events recorded before references existed.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "password_sealed")]
    pub password_secret: Option<String>,
}

/// What happened to a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum RunEvent {
    /// A backup was asked for: the dispatcher queues a `RunBackup` job whose id is this event's.
    BackupRequested {
        /// The run (also the stream's id).
        run_id: Uuid,
        /// The plan to back up.
        plan_id: Uuid,
        /// Who asked.
        trigger: Trigger,
    },
    /// A worker began an attempt.
    BackupStarted {
        /// The job attempt.
        attempt: u32,
        /// The worker's name.
        worker: String,
    },
    /// The archive is written; it is being read back.
    BackupVerifying {
        /// The job attempt.
        attempt: u32,
        /// Bytes stored.
        size_bytes: u64,
    },
    /// The archive was read back and matched its manifest.
    BackupCompleted {
        /// The job attempt.
        attempt: u32,
        /// The archive's final path.
        archive_path: String,
        /// The manifest beside it.
        manifest_path: String,
        /// Bytes stored.
        size_bytes: u64,
        /// Bytes read from the source (uncompressed).
        source_bytes: u64,
        /// SHA-256 of the stored bytes, hex.
        sha256: String,
        /// Entries (files, tables) in the archive.
        entries: u64,
        /// What the source left out and why.
        skipped: Vec<Message>,
        /// How long the attempt took.
        duration_ms: u64,
    },
    /// The attempt failed; no archive carries a final name.
    BackupFailed {
        /// The job attempt.
        attempt: u32,
        /// The precise reason (never a secret).
        error: Message,
        /// Whether the job will try again.
        will_retry: bool,
    },
    /// Retention removed the archive and its manifest.
    BackupPruned {
        /// Which rule.
        reason: Message,
    },
    /// Someone asked to verify the archive again: a `VerifyBackup` job.
    BackupVerifyRequested {
        /// The run (the job's payload names it).
        run_id: Uuid,
        /// The age identity for an encrypted archive (`secret:<id>`, forgotten when the job is done; the sealed
        /// value in events recorded before references existed); None otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none", alias = "identity_sealed")]
        identity_secret: Option<String>,
    },
    /// A verification ended.
    BackupVerified {
        /// The verification's job.
        job_id: Uuid,
        /// Whether the archive is intact.
        ok: bool,
        /// What was checked, or the precise mismatch.
        message: Message,
    },
    /// Someone asked to restore the archive: a `RestoreBackup` job.
    BackupRestoreRequested {
        /// The run (the job's payload names it).
        run_id: Uuid,
        /// Where to.
        target: RestoreTarget,
        /// Whether an existing folder may be replaced.
        overwrite: bool,
        /// The age identity for an encrypted archive (`secret:<id>`, forgotten when the job is done).
        #[serde(default, skip_serializing_if = "Option::is_none", alias = "identity_sealed")]
        identity_secret: Option<String>,
    },
    /// A restore succeeded.
    BackupRestored {
        /// The restore's job.
        job_id: Uuid,
        /// What was written (`restored 1,204 entries into /srv/restore`).
        summary: Message,
    },
    /// A restore failed; the target is as it was (or the message says where the safety copy is).
    BackupRestoreFailed {
        /// The restore's job.
        job_id: Uuid,
        /// The precise reason.
        error: Message,
    },
}

/// Schema 2 of the facts that carry something people read: it is a [`Message`] (a code and its arguments)
/// where schema 1 stored English text, which the upcaster keeps as [`Message::text`].
impl DomainEvent for RunEvent {
    fn schema_version(event_type: &str) -> i32 {
        match event_type {
            "BackupCompleted"
            | "BackupFailed"
            | "BackupPruned"
            | "BackupVerified"
            | "BackupRestored"
            | "BackupRestoreFailed" => 2,
            _ => 1,
        }
    }

    fn upcast(event_type: &str, schema_version: i32, mut data: Value) -> Result<Value, UpcastError> {
        if schema_version < 2 {
            match event_type {
                "BackupFailed" | "BackupRestoreFailed" => upcast_text_field(&mut data, "error"),
                "BackupPruned" => upcast_text_field(&mut data, "reason"),
                "BackupVerified" => upcast_text_field(&mut data, "message"),
                "BackupRestored" => upcast_text_field(&mut data, "summary"),
                "BackupCompleted" => {
                    if let Some(Value::Array(items)) = data.get_mut("skipped") {
                        for item in items.iter_mut() {
                            if let Value::String(text) = item {
                                *item =
                                    serde_json::to_value(Message::text(std::mem::take(text))).unwrap_or(Value::Null);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(data)
    }
}

impl RunEvent {
    /// The id of a fact a worker records for `job_id`, derived so a redelivery records it once.
    pub fn event_id(&self, job_id: Uuid) -> Uuid {
        let step = match self {
            Self::BackupStarted { attempt, .. } => format!("backup-started:{attempt}"),
            Self::BackupVerifying { attempt, .. } => format!("backup-verifying:{attempt}"),
            Self::BackupCompleted { .. } => "backup-completed".to_owned(),
            Self::BackupFailed { attempt, .. } => format!("backup-failed:{attempt}"),
            Self::BackupPruned { .. } => "backup-pruned".to_owned(),
            Self::BackupVerified { .. } => "backup-verified".to_owned(),
            Self::BackupRestored { .. } | Self::BackupRestoreFailed { .. } => "backup-restore-ended".to_owned(),
            Self::BackupRequested { .. } | Self::BackupVerifyRequested { .. } | Self::BackupRestoreRequested { .. } => {
                return Uuid::now_v7();
            }
        };
        event_id_for(job_id, &step)
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Waiting for a worker (or for the plan's previous run to end).
    #[default]
    Requested,
    /// Writing the archive.
    Running,
    /// Reading the archive back.
    Verifying,
    /// Verified and kept.
    Completed,
    /// The last attempt failed.
    Failed,
}

impl RunStatus {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Running => "running",
            Self::Verifying => "verifying",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

pub use super::run_rules::{BackupRun, RunCommand, RunRejection};
