//! `RunBackup`: one backup of a plan, written, signed, read back and only then recorded as completed; then the
//! plan's retention. Any failure is `BackupFailed` with the engine's precise reason, and no file under a final
//! name (the engine guarantees that).

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::Utc;
use lawha_backup::{
    BackupError,
    archive::{BackupRequest, Progress, run_backup},
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

/// The source a spec names, with the database password opened from its seal.
pub fn source(deps: &Deps, spec: &PlanSpec) -> Result<Box<dyn Source>, BackupError> {
    let path = || spec.source.path.clone().unwrap_or_default();
    let url = || -> Result<String, BackupError> {
        let redacted = spec.source.url.clone().unwrap_or_default();
        let password = match &spec.source.password_sealed {
            Some(sealed) => Some(deps.open(sealed, "plan_password").map_err(|e| BackupError::Invalid(job_message(e)))?),
            None => None,
        };
        Ok(lawha_domain::backups::url_with_password(&redacted, password.as_deref()))
    };
    Ok(match spec.source.kind {
        SourceKind::Directory => Box::new(DirectorySource::new(path())?),
        SourceKind::Sqlite => Box::new(SqliteSource::new(path())),
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

/// The plan's folder of archives.
pub fn plan_folder(spec: &PlanSpec) -> PathBuf {
    PathBuf::from(&spec.destination.path).join(&spec.name)
}

#[async_trait]
impl Handler for RunBackup {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let deps = &self.0;
        let (run_id, plan_id) = ids(ctx)?;
        let spec = record::plan_spec(&deps.db, plan_id).await?;
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
        let stale = remove_stale_partials(&plan_folder(spec), run_id);
        if stale > 0 {
            ctx.log(messages::removed_partials(stale)).await;
        }
        let begun = std::time::Instant::now();
        let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let request = match source(deps, spec) {
            Ok(source) => Ok(BackupRequest {
                source,
                destination: plan_folder(spec),
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
        ctx.log(messages::backing_up(spec.source.location(), spec.source.kind.as_str(), &plan_folder(spec))).await;
        let work = tokio::task::spawn_blocking(move || run_backup(request?));
        while let Some(p) = progress_rx.recv().await {
            ctx.log(messages::progress(p.source_bytes >> 20, p.stored_bytes >> 20, p.bytes_per_second >> 20)).await;
        }
        let result = work.await.map_err(|e| JobError::Retryable(messages::task_failed(e.to_string())))?;
        let completed = match result {
            Ok(completed) => completed,
            Err(error) => {
                let will_retry = retryable(&error) && attempt < ctx.job.max_attempts;
                let message = engine_message(&error);
                ctx.log(messages::failed(message.clone())).await;
                record::fact(
                    &deps.db,
                    ctx,
                    run_id,
                    RunEvent::BackupFailed { attempt, error: message.clone(), will_retry },
                )
                .await?;
                return Err(if retryable(&error) {
                    JobError::Retryable(message)
                } else {
                    JobError::Permanent(message)
                });
            }
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
        let pruned = self.retain(ctx, spec).await;
        Ok(
            json!({ "run_id": run_id, "archive": completed.archive_path, "size_bytes": m.stored_bytes, "pruned": pruned }),
        )
    }

    /// Applies the plan's retention after a verified success; a failure here is logged, never a failed backup.
    async fn retain(&self, ctx: &JobContext, spec: &PlanSpec) -> usize {
        let policy = Retention {
            keep_last: spec.retention.keep_last,
            keep_days: spec.retention.keep_days,
            max_total_bytes: spec.retention.max_total_bytes,
        };
        if policy == Retention::default() {
            return 0;
        }
        let folder = plan_folder(spec);
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
