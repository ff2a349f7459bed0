//! `VerifyBackup`: checks a run's archive against its signed manifest (signature, run, size, SHA-256) and that it
//! decodes to the size the source wrote (an encrypted archive only when the identity is given), so a manifest that
//! understates what the archive expands to is caught. The result
//! is `BackupVerified` with `ok` and the precise message either way: a mismatch is a finding, not a job failure.

use std::path::PathBuf;

use async_trait::async_trait;
use lawha_backup::{
    encryption::parse_identity,
    verify::{Check, verify_archive_with},
};
use lawha_domain::backups::{BackupRun, RunEvent};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Deps, messages, record};

/// The `VerifyBackup` handler.
#[derive(Debug, Clone)]
pub struct VerifyBackup(pub Deps);

/// The payload's run id.
pub fn run_id(ctx: &JobContext) -> Result<Uuid, JobError> {
    ctx.job.payload["run_id"]
        .as_str()
        .and_then(|t| Uuid::parse_str(t).ok())
        .ok_or_else(|| JobError::Permanent(messages::payload_missing("run_id")))
}

#[async_trait]
impl Handler for VerifyBackup {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let deps = &self.0;
        let run_id = run_id(ctx)?;
        let (run, _, history) = record::read::<BackupRun>(&deps.db, run_id).await?;
        let RunEvent::BackupVerifyRequested { identity_secret, .. } = record::request(&history, ctx.job.id)? else {
            return Err(JobError::Permanent(messages::request_wrong_kind("BackupVerifyRequested")));
        };
        let identity = match &identity_secret {
            Some(value) => Some(deps.unseal(value, "age_identity").await?),
            None => None,
        };
        let Some(archive) = run.archive_path.clone().filter(|_| !run.pruned) else {
            return Err(JobError::Permanent(messages::no_archive()));
        };
        ctx.log(messages::verifying(&archive)).await;
        let key = deps.manifest_key.clone();
        let path = PathBuf::from(&archive);
        let checked = tokio::task::spawn_blocking(move || {
            let identity = identity.as_deref().map(parse_identity).transpose().map_err(|e| e.message())?;
            let check = Check::DecodeIfReadable(identity.as_ref());
            verify_archive_with(&path, &key, Some(run_id), check).map_err(|e| e.message())
        })
        .await
        .map_err(|e| JobError::Retryable(messages::task_failed(e.to_string())))?;
        let (ok, message) = match &checked {
            Ok(m) => (true, messages::verify_intact(m.stored_bytes, &m.sha256)),
            Err(e) => (false, e.clone()),
        };
        ctx.log(message.clone()).await;
        record::fact(
            &deps.db,
            ctx,
            run_id,
            RunEvent::BackupVerified { job_id: ctx.job.id, ok, message: message.clone() },
        )
        .await?;
        // The verdict is recorded: the identity is needed no more.
        deps.forget(&[identity_secret]).await;
        Ok(json!({ "ok": ok, "message": message }))
    }
}
