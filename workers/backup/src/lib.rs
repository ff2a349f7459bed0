//! The backup worker: the handlers of `RunBackup`, `VerifyBackup` and `RestoreBackup` on the job runtime of
//! `lawha-jobs`, over the engine of `lawha-backup`. The `lawha-backup-worker` binary serves the `backups` queue
//! with them; `lawha serve` registers the same handlers when it works that queue in-process (development).
//!
//! A handler reads what it needs from the log (the plan's spec, the run's state, the requesting event), does
//! the blocking work on `spawn_blocking`, and records the outcome on the run's stream with ids derived from
//! the job (invariant 4), so a redelivered job never records anything twice and a completed run is never
//! backed up again.
//!
//! Every path goes through the panel's path policy (`lawha_backup::paths`) again before anything is read or
//! written: the panel checked it when the plan or the restore was asked for, but the worker runs on the host, and
//! configuration or symlinks may have changed since. What restores leave beside their targets (stale staging
//! folders, replaced folders kept past `backups.safety_copy_hours`, a swap a crash interrupted) is swept when the
//! binary starts and before every restore (`sweep.rs`).

mod lock;
pub mod messages;
mod record;
mod restore;
mod run;
pub mod sweep;
mod verify;

use std::time::Duration;

use lawha_backup::{manifest::ManifestKey, paths::PathPolicy};
use lawha_config::Config;
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
    /// Which paths backups may read, write into and restore over: the panel's policy, from the same
    /// configuration.
    pub policy: PathPolicy,
    /// How long an overwriting restore keeps the folder it replaced (`backups.safety_copy_hours`); zero deletes it
    /// at once.
    pub safety_copy: Duration,
}

impl Deps {
    /// The handlers' dependencies: the database, and from the configuration the secret key (manifests, seals),
    /// the path policy and how long replaced folders are kept.
    pub fn new(db: Database, config: &Config) -> Self {
        let secret = config.secret_key_bytes();
        Self {
            db,
            manifest_key: ManifestKey::derive_with_previous(secret, &config.previous_secret_key_bytes()),
            seal: SealKey::derive(secret, lawha_domain::backups::SEAL_PURPOSE),
            threads: 0,
            policy: PathPolicy::new(config.protected_paths()).with_panel_database(config.database_url.expose()),
            safety_copy: Duration::from_secs(config.backups.safety_copy_hours.saturating_mul(3600)),
        }
    }
}

impl Deps {
    /// The sealed value behind what an event holds for a secret (`secret:<id>`, or the sealed value itself in
    /// events recorded before references existed); a secret that was forgotten is a permanent failure.
    pub async fn sealed(&self, value: &str, what: &str) -> Result<String, lawha_jobs::runtime::JobError> {
        use lawha_jobs::runtime::JobError;
        match lawha_store::secrets::sealed(&self.db.read_models, value).await {
            Ok(Some(sealed)) => Ok(sealed),
            Ok(None) => Err(JobError::Permanent(messages::secret_forgotten(what))),
            Err(e) => Err(JobError::Retryable(messages::read_failed("secrets", e.to_string()))),
        }
    }

    /// Opens what an event holds for a secret ([`Deps::sealed`], then [`Deps::open`]).
    pub async fn unseal(&self, value: &str, what: &str) -> Result<String, lawha_jobs::runtime::JobError> {
        self.open(&self.sealed(value, what).await?, what)
    }

    /// Forgets the secrets a finished job no longer needs (identities, a target's password); a failure is
    /// logged, and the worker's start forgets what is left after a week.
    pub async fn forget(&self, values: &[Option<String>]) {
        lawha_store::secrets::forget_each(&self.db.read_models, values.iter().flatten()).await;
    }

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
