//! `RestoreBackup`: verifies the run's archive first and refuses on any mismatch, then restores: a directory
//! through the engine's safe extraction into a new folder (or over one, when asked), a database through its
//! client with a safety dump of the target taken first and put back if the restore fails.

use std::{fs::File, io::Read, path::PathBuf};

use async_trait::async_trait;
use lawha_backup::{
    BackupError,
    encryption::{decrypting_reader, parse_identity},
    messages::actions,
    restore::{database, directory},
    verify::{read_signed_manifest, verify_archive},
};
use lawha_domain::backups::{BackupRun, RestoreTarget, RunEvent, SourceKind};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};

use lawha_domain::Message;

use crate::{Deps, engine_message, messages, record, verify::run_id};

/// The `RestoreBackup` handler.
#[derive(Debug, Clone)]
pub struct RestoreBackup(pub Deps);

/// The most a directory archive may expand to, beyond what its manifest says the source wrote.
const EXPANSION_SLACK: u64 = 64 << 20;

#[async_trait]
impl Handler for RestoreBackup {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let deps = &self.0;
        let run_id = run_id(ctx)?;
        let (run, _, history) = record::read::<BackupRun>(&deps.db, run_id).await?;
        let RunEvent::BackupRestoreRequested { target, overwrite, identity_sealed, .. } =
            record::request(&history, ctx.job.id)?
        else {
            return Err(JobError::Permanent(messages::request_wrong_kind("BackupRestoreRequested")));
        };
        let Some(archive) = run.archive_path.clone().filter(|_| !run.pruned) else {
            return Err(JobError::Permanent(messages::no_archive()));
        };
        let plan_id = run.plan_id().ok_or_else(|| JobError::Permanent(messages::plan_unknown()))?;
        let (plan, _, _) = record::read::<lawha_domain::backups::BackupPlan>(&deps.db, plan_id).await?;
        let kind =
            plan.spec.as_ref().map(|s| s.source.kind).ok_or_else(|| JobError::Permanent(messages::plan_unknown()))?;
        let identity = identity_sealed.map(|s| deps.open(&s, "age_identity")).transpose()?;
        let url = target_url(deps, &target)?;
        let shown = target.path.as_deref().or(target.url.as_deref()).unwrap_or("?");
        ctx.log(messages::restore_verifying(&archive, shown)).await;
        let key = deps.manifest_key.clone();
        let done = tokio::task::spawn_blocking(move || {
            restore(&PathBuf::from(archive), &key, kind, &target, url.as_deref(), overwrite, identity.as_deref())
        })
        .await
        .map_err(|e| JobError::Retryable(messages::task_failed(e.to_string())))?;
        let fact = match &done {
            Ok(summary) => RunEvent::BackupRestored { job_id: ctx.job.id, summary: summary.clone() },
            Err(error) => RunEvent::BackupRestoreFailed { job_id: ctx.job.id, error: error.clone() },
        };
        record::fact(&deps.db, ctx, run_id, fact).await?;
        match done {
            Ok(summary) => {
                ctx.log(summary.clone()).await;
                Ok(json!({ "restored": summary }))
            }
            Err(error) => {
                ctx.log(messages::failed(error.clone())).await;
                Err(JobError::Permanent(error))
            }
        }
    }
}

/// The target's URL with its password opened from the seal.
fn target_url(deps: &Deps, target: &RestoreTarget) -> Result<Option<String>, JobError> {
    let Some(redacted) = &target.url else { return Ok(None) };
    let Some(sealed) = &target.password_sealed else { return Ok(Some(redacted.clone())) };
    let password = deps.open(sealed, "target_password")?;
    Ok(Some(lawha_domain::backups::url_with_password(redacted, Some(&password))))
}

/// Restores the archive into the target; the summary to record, or why it failed.
fn restore(
    archive: &std::path::Path,
    key: &lawha_backup::manifest::ManifestKey,
    kind: SourceKind,
    target: &RestoreTarget,
    url: Option<&str>,
    overwrite: bool,
    identity: Option<&str>,
) -> Result<Message, Message> {
    let engine = |e: BackupError| engine_message(&e);
    if kind == SourceKind::Directory {
        let path = target.path.as_deref().ok_or_else(messages::restore_needs_path)?;
        // restore_directory verifies the archive itself; the signed manifest alone gives the expansion limit.
        let manifest = read_signed_manifest(archive, key).map_err(|e| engine(e.into()))?;
        let options = directory::RestoreOptions {
            overwrite,
            keep_previous: false,
            max_bytes: manifest.source_bytes.saturating_add(EXPANSION_SLACK),
            allow_external_symlinks: false,
        };
        let stats = directory::restore_directory(archive, key, identity, std::path::Path::new(path), options)
            .map_err(engine)?;
        return Ok(messages::restored_directory(stats.entries, stats.bytes, path));
    }
    let manifest = verify_archive(archive, key, None).map_err(|e| engine(e.into()))?;
    let file = File::open(archive).map_err(|e| engine(BackupError::io(actions::OPENING, archive, e)))?;
    let stored: Box<dyn Read> = match (&manifest.encryption, identity) {
        (None, _) => Box::new(file),
        (Some(_), None) => return Err(messages::restore_needs_identity()),
        (Some(_), Some(identity)) => {
            let identity = parse_identity(identity).map_err(|e| engine(e.into()))?;
            Box::new(decrypting_reader(&identity, file).map_err(|e| e.message())?)
        }
    };
    let mut decoded =
        zstd::stream::read::Decoder::new(stored).map_err(|e| engine(BackupError::io(actions::READING, archive, e)))?;
    let stats = match (kind, url, target.path.as_deref()) {
        (SourceKind::Postgres, Some(url), None) => database::restore_postgres(&mut decoded, url).map_err(engine)?,
        (SourceKind::Mysql, Some(url), None) => database::restore_mysql(&mut decoded, url).map_err(engine)?,
        (SourceKind::Sqlite, None, Some(path)) => {
            database::restore_sqlite(&mut decoded, std::path::Path::new(path)).map_err(engine)?
        }
        (SourceKind::Sqlite, ..) => return Err(messages::restore_needs_file()),
        _ => return Err(messages::restore_needs_url(kind.as_str())),
    };
    let into = url
        .map(|u| lawha_backup::sources::process::url::DatabaseUrl::parse(u).map(|d| d.redacted()).unwrap_or_default())
        .or(target.path.clone())
        .unwrap_or_default();
    Ok(if stats.safety_dump_taken {
        messages::restored_database_after_dump(stats.bytes, into, stats.safety_dump_bytes)
    } else {
        messages::restored_database(stats.bytes, into)
    })
}
