//! The backup worker: the handlers of `RunBackup`, `VerifyBackup` and `RestoreBackup` on the job runtime of
//! `lawha-jobs`, over the engine of `lawha-backup`. The `lawha-backup-worker` binary serves the `backups` queue
//! with them; `lawha serve` registers the same handlers when it works that queue in-process (development).
//!
//! A handler reads what it needs from the log (the plan's spec, the run's state, the requesting event), does
//! the blocking work on `spawn_blocking`, and records the outcome on the run's stream with ids derived from
//! the job (invariant 4), so a redelivered job never records anything twice and a completed run is never
//! backed up again.

mod lock;
pub mod messages;
mod record;
mod restore;
mod run;
mod verify;

use lawha_backup::manifest::ManifestKey;
use lawha_jobs::runtime::Runtime;
use lawha_store::{Database, SealKey};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The event log.
    pub db: Database,
    /// Signs and checks manifests.
    pub manifest_key: ManifestKey,
    /// Opens the sealed passwords and identities of plans and requests.
    pub seal: SealKey,
    /// zstd threads per backup (0: one per CPU).
    pub threads: u32,
}

impl Deps {
    /// The handlers' dependencies from the database and the configured secret key.
    pub fn new(db: Database, secret: &[u8]) -> Self {
        Self {
            db,
            manifest_key: ManifestKey::derive(secret),
            seal: SealKey::derive(secret, lawha_domain::backups::SEAL_PURPOSE),
            threads: 0,
        }
    }
}

impl Deps {
    /// Opens a sealed secret; `what` names it in the error (`plan_password`, `target_password`,
    /// `age_identity`).
    pub fn open(&self, sealed: &str, what: &str) -> Result<String, lawha_jobs::runtime::JobError> {
        use lawha_jobs::runtime::JobError;
        let bytes = self
            .seal
            .open(sealed)
            .map_err(|e| JobError::Permanent(messages::secret_unopenable(what, e.to_string())))?;
        String::from_utf8(bytes).map_err(|_| JobError::Permanent(messages::secret_not_text(what)))
    }
}

/// What people read of an engine failure.
pub(crate) fn engine_message(error: &lawha_backup::BackupError) -> lawha_domain::Message {
    error.message()
}

/// The message of a job error (a sealed secret that does not open, in a source being built).
pub(crate) fn job_message(error: lawha_jobs::runtime::JobError) -> lawha_domain::Message {
    match error {
        lawha_jobs::runtime::JobError::Retryable(m) | lawha_jobs::runtime::JobError::Permanent(m) => m,
    }
}

/// Adds the three handlers to a runtime.
pub fn register(runtime: Runtime, deps: &Deps) -> Runtime {
    runtime
        .handle("RunBackup", run::RunBackup(deps.clone()))
        .handle("VerifyBackup", verify::VerifyBackup(deps.clone()))
        .handle("RestoreBackup", restore::RestoreBackup(deps.clone()))
}
