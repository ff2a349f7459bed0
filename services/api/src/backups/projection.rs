//! `backup_plans` and `backup_runs`: one row per plan (its spec as shown, never a password) and one per run
//! (status, archive, size, SHA-256, error, last verification and restore). Updates are guarded by the stream
//! version, so a replayed or older event changes nothing.

use async_trait::async_trait;
use lawha_domain::{
    DomainEvent as _, RecordedEvent,
    backups::{PlanEvent, PlanSpec, RunEvent, Trigger},
};
use lawha_store::{EventFilter, Projection};
use serde_json::json;

use lawha_store::projection::stored_message as stored;
use sqlx::AnyConnection;

/// The backups projection.
#[derive(Debug, Clone, Copy)]
pub struct Backups;

#[async_trait]
impl Projection for Backups {
    fn name(&self) -> &'static str {
        "backups"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["backup_plans", "backup_runs"]
    }

    fn filter(&self) -> EventFilter {
        EventFilter::categories(["backup_plan", "backup_run"])
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        let id = event.stream.as_str().split_once('-').map(|(_, id)| id.to_owned()).unwrap_or_default();
        let outcome = match event.stream.category() {
            "backup_plan" => match PlanEvent::from_recorded(event) {
                Ok(fact) => plan(tx, event, &id, &fact).await,
                Err(error) => Err(error.to_string()),
            },
            _ => match RunEvent::from_recorded(event) {
                Ok(fact) => run(tx, event, &id, &fact).await,
                Err(error) => Err(error.to_string()),
            },
        };
        match outcome {
            Ok(result) => result,
            // A fact this build cannot read (a newer schema) must not stop every other row.
            Err(error) => {
                tracing::warn!(%error, position = event.position, "a backup event does not decode and is not shown");
                Ok(())
            }
        }
    }
}

type Applied = Result<Result<(), sqlx::Error>, String>;

async fn plan(tx: &mut AnyConnection, event: &RecordedEvent, id: &str, fact: &PlanEvent) -> Applied {
    let at = event.recorded_at.timestamp_micros();
    let result = match fact {
        PlanEvent::BackupPlanCreated { spec, .. } => {
            let sql = "INSERT INTO backup_plans (plan_id, name, source_kind, source_location, destination_path, \
                       schedule, timezone, retention, compression_level, encrypted_for, deleted, created_at, \
                       updated_at, stream_version) VALUES ($1, '', '', '', '', NULL, '', '{}', 0, NULL, 0, $2, $2, 0) \
                       ON CONFLICT (plan_id) DO NOTHING";
            match sqlx::query(sql).bind(id.to_owned()).bind(at).execute(&mut *tx).await {
                Ok(_) => write_spec(tx, event, id, spec).await,
                Err(e) => Err(e),
            }
        }
        PlanEvent::BackupPlanUpdated { spec } => write_spec(tx, event, id, spec).await,
        PlanEvent::BackupPlanDeleted {} => sqlx::query(
            "UPDATE backup_plans SET deleted = 1, updated_at = $3, stream_version = $2 \
             WHERE plan_id = $1 AND stream_version < $2",
        )
        .bind(id.to_owned())
        .bind(event.version)
        .bind(at)
        .execute(tx)
        .await
        .map(drop),
    };
    Ok(result)
}

async fn write_spec(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    id: &str,
    spec: &PlanSpec,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE backup_plans SET name = $3, source_kind = $4, source_location = $5, destination_path = $6, \
         schedule = $7, timezone = $8, retention = $9, compression_level = $10, encrypted_for = $11, \
         updated_at = $12, stream_version = $2 WHERE plan_id = $1 AND stream_version < $2",
    )
    .bind(id.to_owned())
    .bind(event.version)
    .bind(spec.name.clone())
    .bind(spec.source.kind.as_str())
    .bind(spec.source.location().to_owned())
    .bind(spec.destination.path.clone())
    .bind(spec.schedule.clone())
    .bind(spec.timezone.clone())
    .bind(json!(spec.retention).to_string())
    .bind(i64::from(spec.compression_level))
    .bind(spec.encryption.as_ref().map(|e| e.recipient.clone()))
    .bind(event.recorded_at.timestamp_micros())
    .execute(tx)
    .await
    .map(drop)
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn run(tx: &mut AnyConnection, event: &RecordedEvent, id: &str, fact: &RunEvent) -> Applied {
    let at = event.recorded_at.timestamp_micros();
    if let RunEvent::BackupRequested { plan_id, trigger, .. } = fact {
        let trigger = match trigger {
            Trigger::Manual => "manual",
            Trigger::Schedule { .. } => "schedule",
        };
        let sql = "INSERT INTO backup_runs (run_id, plan_id, job_id, trigger_kind, status, attempt, requested_at, \
                   request_position, pruned, stream_version) VALUES ($1, $2, $3, $4, 'requested', 0, $5, $6, 0, $7) \
                   ON CONFLICT (run_id) DO NOTHING";
        let done = sqlx::query(sql)
            .bind(id.to_owned())
            .bind(plan_id.to_string())
            .bind(event.event_id.to_string())
            .bind(trigger)
            .bind(at)
            .bind(event.position)
            .bind(event.version)
            .execute(tx)
            .await;
        return Ok(done.map(drop));
    }
    let (set, binds): (&str, Vec<Bind>) = match fact {
        RunEvent::BackupRequested { .. } => return Ok(Ok(())),
        RunEvent::BackupStarted { attempt, .. } => (
            "status = 'running', attempt = $3, started_at = $4, finished_at = NULL, error = NULL",
            vec![Bind::Int(i64::from(*attempt)), Bind::Int(at)],
        ),
        RunEvent::BackupVerifying { attempt, size_bytes } => {
            ("status = 'verifying', attempt = $3, size_bytes = $4", vec![Bind::Int(i64::from(*attempt)), Bind::Int(int(*size_bytes))])
        }
        RunEvent::BackupCompleted { attempt, archive_path, manifest_path, size_bytes, source_bytes, sha256, entries, skipped, .. } => (
            "status = 'completed', attempt = $3, finished_at = $4, archive_path = $5, manifest_path = $6, \
             size_bytes = $7, source_bytes = $8, sha256 = $9, entries = $10, skipped = $11, error = NULL",
            vec![
                Bind::Int(i64::from(*attempt)),
                Bind::Int(at),
                Bind::Text(archive_path.clone()),
                Bind::Text(manifest_path.clone()),
                Bind::Int(int(*size_bytes)),
                Bind::Int(int(*source_bytes)),
                Bind::Text(sha256.clone()),
                Bind::Int(int(*entries)),
                Bind::Text(json!(skipped).to_string()),
            ],
        ),
        RunEvent::BackupFailed { attempt, error, .. } => (
            "status = 'failed', attempt = $3, finished_at = $4, error = $5",
            vec![Bind::Int(i64::from(*attempt)), Bind::Int(at), Bind::Text(stored(error))],
        ),
        RunEvent::BackupPruned { reason } => ("pruned = 1, pruned_reason = $3", vec![Bind::Text(stored(reason))]),
        RunEvent::BackupVerifyRequested { .. } => (
            "last_verify = $3",
            vec![Bind::Text(json!({"state": "requested", "job_id": event.event_id, "at": at}).to_string())],
        ),
        RunEvent::BackupVerified { job_id, ok, message } => (
            "last_verify = $3",
            vec![Bind::Text(json!({"state": if *ok { "ok" } else { "failed" }, "job_id": job_id, "message": message, "at": at}).to_string())],
        ),
        RunEvent::BackupRestoreRequested { target, .. } => (
            "last_restore = $3",
            vec![Bind::Text(json!({"state": "requested", "job_id": event.event_id, "target": target.path.as_ref().or(target.url.as_ref()), "at": at}).to_string())],
        ),
        RunEvent::BackupRestored { job_id, summary } => (
            "last_restore = $3",
            vec![Bind::Text(json!({"state": "restored", "job_id": job_id, "message": summary, "at": at}).to_string())],
        ),
        RunEvent::BackupRestoreFailed { job_id, error } => (
            "last_restore = $3",
            vec![Bind::Text(json!({"state": "failed", "job_id": job_id, "message": error, "at": at}).to_string())],
        ),
    };
    let sql = format!("UPDATE backup_runs SET {set}, stream_version = $2 WHERE run_id = $1 AND stream_version < $2");
    // The SET clauses are the fixed texts above; every value is a bind.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).bind(event.version);
    for bind in binds {
        query = match bind {
            Bind::Int(value) => query.bind(value),
            Bind::Text(value) => query.bind(value),
        };
    }
    Ok(query.execute(tx).await.map(drop))
}

enum Bind {
    Int(i64),
    Text(String),
}
