//! `RestoreBackup`: verifies the run's archive first and refuses on any mismatch, then restores: a directory
//! through the engine's safe extraction into a new folder (or over one, when asked), a database through its
//! client with a safety dump of the target taken first and put back if the restore fails.

use std::{fs::File, io::Read, path::PathBuf};

use async_trait::async_trait;
use lawha_backup::{
    BackupError,
    encryption::{decrypting_reader, parse_identity},
    restore::{database, directory},
    verify::{read_signed_manifest, verify_archive},
};
use lawha_domain::backups::{BackupRun, RestoreTarget, RunEvent, SourceKind};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};

use crate::{Deps, record, verify::run_id};

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
            return Err(JobError::Permanent("the job's request is not a BackupRestoreRequested".into()));
        };
        let Some(archive) = run.archive_path.clone().filter(|_| !run.pruned) else {
            return Err(JobError::Permanent("the run has no archive".into()));
        };
        let plan_id = run.plan_id().ok_or_else(|| JobError::Permanent("the run names no plan".into()))?;
        let (plan, _, _) = record::read::<lawha_domain::backups::BackupPlan>(&deps.db, plan_id).await?;
        let kind = plan
            .spec
            .as_ref()
            .map(|s| s.source.kind)
            .ok_or_else(|| JobError::Permanent("the run's plan is unknown".into()))?;
        let identity = identity_sealed.map(|s| deps.open(&s, "the age identity")).transpose()?;
        let url = target_url(deps, &target)?;
        ctx.log(format!(
            "verifying {archive} before restoring it into {}",
            target.path.as_deref().or(target.url.as_deref()).unwrap_or("?")
        ))
        .await;
        let key = deps.manifest_key.clone();
        let done = tokio::task::spawn_blocking(move || {
            restore(&PathBuf::from(archive), &key, kind, &target, url.as_deref(), overwrite, identity.as_deref())
        })
        .await
        .map_err(|e| JobError::Retryable(format!("the restore task failed: {e}")))?;
        let fact = match &done {
            Ok(summary) => RunEvent::BackupRestored { job_id: ctx.job.id, summary: summary.clone() },
            Err(error) => RunEvent::BackupRestoreFailed { job_id: ctx.job.id, error: error.to_string() },
        };
        record::fact(&deps.db, ctx, run_id, fact).await?;
        match done {
            Ok(summary) => {
                ctx.log(&summary).await;
                Ok(json!({ "restored": summary }))
            }
            Err(error) => {
                ctx.log(format!("failed: {error}")).await;
                Err(JobError::Permanent(error.to_string()))
            }
        }
    }
}

/// The target's URL with its password opened from the seal.
fn target_url(deps: &Deps, target: &RestoreTarget) -> Result<Option<String>, JobError> {
    let Some(redacted) = &target.url else { return Ok(None) };
    let Some(sealed) = &target.password_sealed else { return Ok(Some(redacted.clone())) };
    let password = deps.open(sealed, "the target's password")?;
    Ok(Some(lawha_domain::backups::url_with_password(redacted, Some(&password))))
}

fn restore(
    archive: &std::path::Path,
    key: &lawha_backup::manifest::ManifestKey,
    kind: SourceKind,
    target: &RestoreTarget,
    url: Option<&str>,
    overwrite: bool,
    identity: Option<&str>,
) -> Result<String, BackupError> {
    if kind == SourceKind::Directory {
        let path = target
            .path
            .as_deref()
            .ok_or_else(|| BackupError::Refused("a directory restore needs target.path".into()))?;
        // restore_directory verifies the archive itself; the signed manifest alone gives the expansion limit.
        let manifest = read_signed_manifest(archive, key)?;
        let options = directory::RestoreOptions {
            overwrite,
            max_bytes: manifest.source_bytes.saturating_add(EXPANSION_SLACK),
            allow_external_symlinks: false,
        };
        let stats = directory::restore_directory(archive, key, identity, std::path::Path::new(path), options)?;
        return Ok(format!("restored {} entries ({} bytes) into {path}", stats.entries, stats.bytes));
    }
    let manifest = verify_archive(archive, key, None)?;
    let file = File::open(archive).map_err(|e| BackupError::io("opening", archive, e))?;
    let stored: Box<dyn Read> = match (&manifest.encryption, identity) {
        (None, _) => Box::new(file),
        (Some(_), None) => {
            return Err(BackupError::Refused("the archive is encrypted: the restore needs its identity".into()));
        }
        (Some(_), Some(identity)) => {
            let identity = parse_identity(identity).map_err(|e| BackupError::Invalid(e.to_string()))?;
            Box::new(decrypting_reader(&identity, file).map_err(|e| BackupError::Refused(e.to_string()))?)
        }
    };
    let mut decoded = zstd::stream::read::Decoder::new(stored).map_err(|e| BackupError::io("decoding", archive, e))?;
    let stats = match (kind, url, target.path.as_deref()) {
        (SourceKind::Postgres, Some(url), None) => database::restore_postgres(&mut decoded, url)?,
        (SourceKind::Mysql, Some(url), None) => database::restore_mysql(&mut decoded, url)?,
        (SourceKind::Sqlite, None, Some(path)) => database::restore_sqlite(&mut decoded, std::path::Path::new(path))?,
        (SourceKind::Sqlite, ..) => {
            return Err(BackupError::Refused("a SQLite restore needs target.path (a new file)".into()));
        }
        _ => return Err(BackupError::Refused(format!("a {} restore needs target.url (a database)", kind.as_str()))),
    };
    let safety = if stats.safety_dump_taken {
        format!(", after a safety dump of {} bytes", stats.safety_dump_bytes)
    } else {
        String::new()
    };
    let into = url
        .map(|u| lawha_backup::sources::process::url::DatabaseUrl::parse(u).map(|d| d.redacted()).unwrap_or_default())
        .or(target.path.clone())
        .unwrap_or_default();
    Ok(format!("restored {} bytes into {into}{safety}", stats.bytes))
}
