//! `RunBackup`: one backup of a plan, written, signed, read back and only then recorded as completed; then the
//! plan's retention. Any failure is `BackupFailed` with the engine's precise reason, and no file under a final
//! name (the engine guarantees that). The source and the destination go through the path policy again first: a
//! plan saved before a path became protected, or whose link now leads elsewhere, is refused here.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::Utc;
use lawha_backup::{
    BackupError,
    archive::{BackupRequest, Progress, run_backup},
    paths::PathUse,
    retention::{self, Retention},
    sources::Source,
    sources::{directory::DirectorySource, mysql::MysqlSource, postgres::PostgresSource, sqlite::SqliteSource},
};
use lawha_domain::backups::{BackupRun, PlanSpec, RunEvent, RunStatus, SourceKind};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Deps, engine_message, job_message, lock, messages, record};

/// The `RunBackup` handler.
#[derive(Debug, Clone)]
pub struct RunBackup(pub Deps);

fn ids(ctx: &JobContext) -> Result<(Uuid, Uuid), JobError> {
    let id = |name: &str| {
        ctx.job.payload[name]
            .as_str()
            .and_then(|t| Uuid::parse_str(t).ok())
            .ok_or_else(|| JobError::Permanent(messages::payload_missing(name)))
    };
    Ok((id("run_id")?, id("plan_id")?))
}

/// The source a spec names, with the database password opened from its seal. A path is checked against the
/// path policy and resolved first (the panel checked it when the plan was saved; a link may have moved since), and
/// a folder holding protected paths is backed up without them.
pub fn source(deps: &Deps, spec: &PlanSpec) -> Result<Box<dyn Source>, BackupError> {
    let path = || deps.policy.check(Path::new(spec.source.path.as_deref().unwrap_or_default()), PathUse::Source);
    let url = || -> Result<String, BackupError> {
        let redacted = spec.source.url.clone().unwrap_or_default();
        let password = match &spec.source.password_secret {
            Some(sealed) => Some(deps.open(sealed, "plan_password").map_err(|e| BackupError::Invalid(job_message(e)))?),
            None => None,
        };
        Ok(lawha_domain::backups::url_with_password(&redacted, password.as_deref()))
    };
    Ok(match spec.source.kind {
        SourceKind::Directory => {
            let root = path()?;
            let left_out = deps.policy.left_out_of(&root);
            Box::new(DirectorySource::new(root)?.leaving_out(left_out))
        }
        SourceKind::Sqlite => Box::new(SqliteSource::new(path()?)),
        SourceKind::Postgres => Box::new(PostgresSource::new(&url()?)?),
        SourceKind::Mysql => Box::new(MysqlSource::new(&url()?)?),
    })
}

/// Whether another attempt may help.
fn retryable(error: &BackupError) -> bool {
    matches!(
        error,
        BackupError::Command { .. } | BackupError::Database { .. } | BackupError::Io { .. } | BackupError::ReadBack(_)
    )
}

/// Removes `.<time>-<run id>.….partial` files that a killed attempt of this run left (only a crash leaves one:
/// the engine removes its partial file on every failure). Returns how many.
fn remove_stale_partials(folder: &std::path::Path, run_id: Uuid) -> usize {
    let run = run_id.to_string();
    let Ok(entries) = std::fs::read_dir(folder) else { return 0 };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with('.') && name.ends_with(".partial") && name.contains(&run)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// The plan's folder of archives: the destination checked against the path policy and resolved, then the plan's
/// name.
fn plan_folder(deps: &Deps, spec: &PlanSpec) -> Result<PathBuf, BackupError> {
    Ok(deps.policy.check(Path::new(&spec.destination.path), PathUse::Destination)?.join(&spec.name))
}

#[async_trait]
impl Handler for RunBackup {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let deps = &self.0;
        let (run_id, plan_id) = ids(ctx)?;
        let mut spec = record::plan_spec(&deps.db, plan_id).await?;
        // The password's reference becomes the sealed value here, so building the source needs no database.
        if let Some(value) = &spec.source.password_secret {
            spec.source.password_secret = Some(deps.sealed(value, "plan_password").await?);
        }
        let (run, _, _) = record::read::<BackupRun>(&deps.db, run_id).await?;
        if run.status == RunStatus::Completed {
            ctx.log(messages::run_already_completed()).await;
            return Ok(json!({ "run_id": run_id, "already": "completed" }));
        }
        ctx.log(messages::waiting_for_plan(&spec.name)).await;
        let lock = lock::acquire(&deps.db, plan_id).await.map_err(JobError::Retryable)?;
        let outcome = self.backup(ctx, run_id, plan_id, &spec).await;
        lock.release().await;
        outcome
    }
}

impl RunBackup {
    async fn backup(&self, ctx: &JobContext, run_id: Uuid, plan_id: Uuid, spec: &PlanSpec) -> Result<Value, JobError> {
        let deps = &self.0;
        let attempt = ctx.job.attempt;
        let started = RunEvent::BackupStarted { attempt, worker: ctx.worker.clone() };
        if !record::fact(&deps.db, ctx, run_id, started).await? {
            return Ok(json!({ "run_id": run_id, "already": "recorded" }));
        }
        let folder = match plan_folder(deps, spec) {
            Ok(folder) => folder,
            Err(error) => return Err(self.failed(ctx, run_id, error).await?),
        };
        let stale = remove_stale_partials(&folder, run_id);
        if stale > 0 {
            ctx.log(messages::removed_partials(stale)).await;
        }
        let begun = std::time::Instant::now();
        let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let request = match source(deps, spec) {
            Ok(source) => Ok(BackupRequest {
                source,
                destination: folder.clone(),
                plan_id,
                plan_name: spec.name.clone(),
                run_id,
                started_at: Utc::now(),
                level: spec.compression_level,
                threads: deps.threads,
                recipient: spec.encryption.as_ref().map(|e| e.recipient.clone()),
                key: deps.manifest_key.clone(),
                progress: Some(Box::new(move |p| {
                    let _ = progress_tx.send(p);
                })),
            }),
            Err(e) => Err(e),
        };
        ctx.log(messages::backing_up(spec.source.location(), spec.source.kind.as_str(), &folder)).await;
        let work = tokio::task::spawn_blocking(move || run_backup(request?));
        while let Some(p) = progress_rx.recv().await {
            ctx.log(messages::progress(p.source_bytes >> 20, p.stored_bytes >> 20, p.bytes_per_second >> 20)).await;
        }
        let result = work.await.map_err(|e| JobError::Retryable(messages::task_failed(e.to_string())))?;
        let completed = match result {
            Ok(completed) => completed,
            Err(error) => return Err(self.failed(ctx, run_id, error).await?),
        };
        let m = &completed.manifest;
        record::fact(&deps.db, ctx, run_id, RunEvent::BackupVerifying { attempt, size_bytes: m.stored_bytes }).await?;
        ctx.log(messages::read_back(m.stored_bytes, &m.sha256)).await;
        let done = RunEvent::BackupCompleted {
            attempt,
            archive_path: completed.archive_path.display().to_string(),
            manifest_path: completed.manifest_path.display().to_string(),
            size_bytes: m.stored_bytes,
            source_bytes: m.source_bytes,
            sha256: m.sha256.clone(),
            entries: m.entries,
            skipped: completed.skipped.clone(),
            duration_ms: u64::try_from(begun.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        record::fact(&deps.db, ctx, run_id, done).await?;
        let pruned = self.retain(ctx, spec, folder).await;
        Ok(
            json!({ "run_id": run_id, "archive": completed.archive_path, "size_bytes": m.stored_bytes, "pruned": pruned }),
        )
    }

    /// Records the attempt's failure (`BackupFailed`, retried when another attempt may help) and returns the job
    /// error that says so; `Err` when even the recording failed.
    async fn failed(&self, ctx: &JobContext, run_id: Uuid, error: BackupError) -> Result<JobError, JobError> {
        let attempt = ctx.job.attempt;
        let will_retry = retryable(&error) && attempt < ctx.job.max_attempts;
        let message = engine_message(&error);
        ctx.log(messages::failed(message.clone())).await;
        let failed = RunEvent::BackupFailed { attempt, error: message.clone(), will_retry };
        record::fact(&self.0.db, ctx, run_id, failed).await?;
        Ok(if retryable(&error) { JobError::Retryable(message) } else { JobError::Permanent(message) })
    }

    /// Applies the plan's retention after a verified success; a failure here is logged, never a failed backup.
    async fn retain(&self, ctx: &JobContext, spec: &PlanSpec, folder: PathBuf) -> usize {
        let policy = Retention {
            keep_last: spec.retention.keep_last,
            keep_days: spec.retention.keep_days,
            max_total_bytes: spec.retention.max_total_bytes,
        };
        if policy == Retention::default() {
            return 0;
        }
        let key = self.0.manifest_key.clone();
        let removed = tokio::task::spawn_blocking(move || retention::apply(&folder, &policy, &key, Utc::now())).await;
        match removed {
            Ok(Ok(removed)) => {
                for backup in &removed {
                    ctx.log(messages::retention_removed(&backup.archive_path)).await;
                    let reason = messages::pruned_by_retention();
                    if let Err(e) = record::pruned(&self.0.db, ctx, backup.run_id, reason).await {
                        tracing::warn!(error = %e, "recording a pruned backup failed");
                    }
                }
                removed.len()
            }
            Ok(Err(e)) => {
                ctx.log(messages::retention_failed(engine_message(&e))).await;
                0
            }
            Err(e) => {
                ctx.log(messages::retention_failed(e.to_string())).await;
                0
            }
        }
    }
}
