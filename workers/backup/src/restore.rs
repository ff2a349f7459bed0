//! `RestoreBackup`: sweeps beside earlier restore targets, checks the target against the path policy, verifies
//! the run's archive and refuses on any mismatch, then restores: a directory through the engine's safe
//! extraction into a new folder (or over one, when asked: the replaced folder is kept beside it for
//! `backups.safety_copy_hours`), a database through its client with a safety dump of the target taken first and
//! put back if the restore fails.
//!
//! A refusal (a protected or system path, the panel's own database, a target that exists, too little room, a
//! hostile archive, a request without what it needs) is recorded on the run as `BackupRestoreFailed` with its
//! reason, and the job ends successfully with `{"refused": …}`: the job did what it was asked, which was to
//! decide, and running the same request again can only be refused again, so it is not offered for a retry by
//! hand (the jobs read model offers that for `failed` and `dead` jobs only). A new request with what changed is
//! the way forward. Any other failure is a permanent job failure.

use std::{
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use lawha_backup::{
    BackupError,
    encryption::{decrypting_reader, parse_identity},
    messages::actions,
    paths::{PathPolicy, PathUse},
    restore::{database, directory},
    verify::{read_signed_manifest, verify_archive},
};
use lawha_domain::{
    Message,
    backups::{BackupRun, RestoreTarget, RunEvent, SourceKind},
};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};

use crate::{Deps, engine_message, messages, record, sweep, verify::run_id};

/// The `RestoreBackup` handler.
#[derive(Debug, Clone)]
pub struct RestoreBackup(pub Deps);

/// The most a directory archive may expand to, beyond what its manifest says the source wrote.
const EXPANSION_SLACK: u64 = 64 << 20;

/// Why a restore did not happen: refused (final for this request), or failed.
#[derive(Debug)]
enum NotRestored {
    /// Refused before anything was written; running the request again cannot change that.
    Refused(Message),
    /// Failed; the message says how the target was left.
    Failed(Message),
}

impl NotRestored {
    fn message(&self) -> &Message {
        match self {
            Self::Refused(m) | Self::Failed(m) => m,
        }
    }
}

/// An engine error as a refusal or a failure.
fn engine(error: BackupError) -> NotRestored {
    match error {
        BackupError::Refused(message) => NotRestored::Refused(message),
        other => NotRestored::Failed(engine_message(&other)),
    }
}

/// What a restore was asked to do, with its secrets opened.
struct Request {
    archive: PathBuf,
    kind: SourceKind,
    target: RestoreTarget,
    url: Option<String>,
    overwrite: bool,
    identity: Option<String>,
}

#[async_trait]
impl Handler for RestoreBackup {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let deps = &self.0;
        let run_id = run_id(ctx)?;
        let (run, _, history) = record::read::<BackupRun>(&deps.db, run_id).await?;
        let RunEvent::BackupRestoreRequested { target, overwrite, identity_secret, .. } =
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
        let identity = match &identity_secret {
            Some(value) => Some(deps.unseal(value, "age_identity").await?),
            None => None,
        };
        let url = target_url(deps, &target).await?;
        let secrets = [identity_secret.clone(), target.password_secret.clone()];
        let swept = sweep::everywhere(deps).await;
        if swept.staging_removed + swept.previous_removed > 0 {
            ctx.log(messages::swept(swept.staging_removed, swept.previous_removed)).await;
        }
        for path in &swept.put_back {
            ctx.log(messages::swept_put_back(path)).await;
        }
        let shown = target.path.as_deref().or(target.url.as_deref()).unwrap_or("?");
        ctx.log(messages::restore_verifying(&archive, shown)).await;
        let request = Request { archive: PathBuf::from(archive), kind, target, url, overwrite, identity };
        let (key, policy, keep) = (deps.manifest_key.clone(), deps.policy.clone(), deps.safety_copy);
        let done = tokio::task::spawn_blocking(move || restore(&request, &key, &policy, keep.as_secs() / 3600))
            .await
            .map_err(|e| JobError::Retryable(messages::task_failed(e.to_string())))?;
        let fact = match &done {
            Ok(summary) => RunEvent::BackupRestored { job_id: ctx.job.id, summary: summary.clone() },
            Err(why) => RunEvent::BackupRestoreFailed { job_id: ctx.job.id, error: why.message().clone() },
        };
        record::fact(&deps.db, ctx, run_id, fact).await?;
        // The outcome is recorded: no attempt will need the identity or the target's password again.
        deps.forget(&secrets).await;
        match done {
            Ok(summary) => {
                ctx.log(summary.clone()).await;
                Ok(json!({ "restored": summary }))
            }
            Err(NotRestored::Refused(reason)) => {
                ctx.log(messages::restore_refused(reason.clone())).await;
                Ok(json!({ "refused": reason }))
            }
            Err(NotRestored::Failed(error)) => {
                ctx.log(messages::failed(error.clone())).await;
                Err(JobError::Permanent(error))
            }
        }
    }
}

/// The target's URL with its password opened from the seal.
async fn target_url(deps: &Deps, target: &RestoreTarget) -> Result<Option<String>, JobError> {
    let Some(redacted) = &target.url else { return Ok(None) };
    let Some(secret) = &target.password_secret else { return Ok(Some(redacted.clone())) };
    let password = deps.unseal(secret, "target_password").await?;
    Ok(Some(lawha_domain::backups::url_with_password(redacted, Some(&password))))
}

/// Restores the archive into the target; the summary to record, or why not. `keep_hours` is how long a replaced
/// folder is kept (0: not at all).
fn restore(
    request: &Request,
    key: &lawha_backup::manifest::ManifestKey,
    policy: &PathPolicy,
    keep_hours: u64,
) -> Result<Message, NotRestored> {
    let Request { archive, kind, target, url, overwrite, identity } = request;
    let path = match (target.path.as_deref(), url) {
        (Some(path), _) => Some(policy.check(Path::new(path), PathUse::RestoreTarget).map_err(engine)?),
        (None, Some(url)) => {
            policy.check_database_target(url).map_err(engine)?;
            None
        }
        (None, None) => None,
    };
    if *kind == SourceKind::Directory {
        let path = path.ok_or_else(|| NotRestored::Refused(messages::restore_needs_path()))?;
        // restore_directory verifies the archive itself; the signed manifest alone gives the expansion limit.
        let manifest = read_signed_manifest(archive, key).map_err(|e| engine(e.into()))?;
        let options = directory::RestoreOptions {
            overwrite: *overwrite,
            keep_previous: keep_hours > 0,
            max_bytes: manifest.source_bytes.saturating_add(EXPANSION_SLACK),
            allow_external_symlinks: false,
        };
        let stats = directory::restore_directory(archive, key, identity.as_deref(), &path, options).map_err(engine)?;
        return Ok(match stats.previous {
            Some(previous) => {
                messages::restored_directory_keeping(stats.entries, stats.bytes, &path, &previous, keep_hours)
            }
            None => messages::restored_directory(stats.entries, stats.bytes, &path),
        });
    }
    let manifest = verify_archive(archive, key, None).map_err(|e| engine(e.into()))?;
    if let (SourceKind::Sqlite, Some(path)) = (kind, &path) {
        let folder = path.parent().unwrap_or(Path::new("/"));
        directory::check_free_space(folder, manifest.source_bytes).map_err(engine)?;
    }
    let file = File::open(archive).map_err(|e| engine(BackupError::io(actions::OPENING, archive, e)))?;
    let stored: Box<dyn Read> = match (&manifest.encryption, identity) {
        (None, _) => Box::new(file),
        (Some(_), None) => return Err(NotRestored::Refused(messages::restore_needs_identity())),
        (Some(_), Some(identity)) => {
            let identity = parse_identity(identity).map_err(|e| engine(e.into()))?;
            Box::new(decrypting_reader(&identity, file).map_err(|e| NotRestored::Failed(e.message()))?)
        }
    };
    let mut decoded =
        zstd::stream::read::Decoder::new(stored).map_err(|e| engine(BackupError::io(actions::READING, archive, e)))?;
    let stats = match (kind, url, path.as_deref()) {
        (SourceKind::Postgres, Some(url), None) => database::restore_postgres(&mut decoded, url).map_err(engine)?,
        (SourceKind::Mysql, Some(url), None) => database::restore_mysql(&mut decoded, url).map_err(engine)?,
        (SourceKind::Sqlite, None, Some(path)) => database::restore_sqlite(&mut decoded, path).map_err(engine)?,
        (SourceKind::Sqlite, ..) => return Err(NotRestored::Refused(messages::restore_needs_file())),
        _ => return Err(NotRestored::Refused(messages::restore_needs_url(kind.as_str()))),
    };
    let into = url
        .as_deref()
        .map(|u| lawha_backup::sources::process::url::DatabaseUrl::parse(u).map(|d| d.redacted()).unwrap_or_default())
        .or(path.map(|p| p.display().to_string()))
        .unwrap_or_default();
    Ok(if stats.safety_dump_taken {
        messages::restored_database_after_dump(stats.bytes, into, stats.safety_dump_bytes)
    } else {
        messages::restored_database(stats.bytes, into)
    })
}
