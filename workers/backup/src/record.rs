//! Reading a plan or a run from the log, and recording a worker's fact on a run with the id derived from its
//! job. A refused fact (the run completed meanwhile, a stale attempt) records nothing and says so.

use chrono::Utc;
use lawha_domain::{
    Aggregate, DomainEvent as _, ExpectedVersion, Metadata, RecordedEvent,
    backups::{BackupPlan, BackupRun, PlanSpec, RunCommand, RunEvent},
    load,
};
use lawha_jobs::runtime::{JobContext, JobError};
use lawha_store::{AppendError, Database};
use uuid::Uuid;

/// The events of an aggregate's stream and its state.
pub async fn read<A: Aggregate>(db: &Database, id: Uuid) -> Result<(A, i64, Vec<RecordedEvent>), JobError> {
    let history = db
        .events
        .read_stream(&A::stream(id), 0, i64::MAX)
        .await
        .map_err(|e| JobError::Retryable(format!("reading {}: {e}", A::stream(id))))?;
    let (state, version) =
        load::<A>(&history).map_err(|e| JobError::Permanent(format!("{} does not decode: {e}", A::stream(id))))?;
    Ok((state, version, history))
}

/// The spec of a live plan.
pub async fn plan_spec(db: &Database, plan_id: Uuid) -> Result<PlanSpec, JobError> {
    let (plan, _, _) = read::<BackupPlan>(db, plan_id).await?;
    match plan.spec {
        Some(_) if plan.deleted => Err(JobError::Permanent(format!("the backup plan {plan_id} was deleted"))),
        Some(spec) => Ok(spec),
        None => Err(JobError::Permanent(format!("no backup plan {plan_id}"))),
    }
}

/// The event that requested a job (its id is the job's id) in the run's history.
pub fn request(history: &[RecordedEvent], job_id: Uuid) -> Result<RunEvent, JobError> {
    let event = history
        .iter()
        .find(|e| e.event_id == job_id)
        .ok_or_else(|| JobError::Permanent(format!("the request {job_id} is not in the run's stream")))?;
    RunEvent::from_recorded(event).map_err(|e| JobError::Permanent(e.to_string()))
}

/// The metadata of a fact the worker records for the job in `ctx`.
fn metadata(ctx: &JobContext) -> Metadata {
    Metadata {
        actor: Some(format!("worker:{}", ctx.worker)),
        correlation_id: Some(ctx.job.correlation_id),
        causation_id: Some(ctx.job.id),
        ..Metadata::default()
    }
}

/// Records `fact` on run `run_id` for the job in `ctx`; Ok(false) when the run's rules refused it.
pub async fn fact(db: &Database, ctx: &JobContext, run_id: Uuid, fact: RunEvent) -> Result<bool, JobError> {
    let metadata = metadata(ctx);
    for _ in 0..5 {
        let (state, version, _) = read::<BackupRun>(db, run_id).await?;
        let events = match state.decide(&RunCommand::Record(fact.clone()), Utc::now()) {
            Ok(events) => events,
            Err(rejection) => {
                tracing::info!(%rejection, run = %run_id, "the run refused a worker's fact; nothing recorded");
                return Ok(false);
            }
        };
        let new = events.iter().map(|e| e.to_new_event_with_id(e.event_id(ctx.job.id), metadata.clone())).collect();
        match db.events.append(&BackupRun::stream(run_id), ExpectedVersion::Exact(version), new).await {
            Ok(_) => return Ok(true),
            Err(AppendError::Conflict { .. }) => continue,
            Err(e) => return Err(JobError::Retryable(format!("recording {}: {e}", fact_name(&fact)))),
        }
    }
    Err(JobError::Retryable(format!("recording {} kept conflicting with other writers", fact_name(&fact))))
}

/// Records retention's removal of a run's archive (a run the log does not know as completed is left alone).
pub async fn pruned(db: &Database, ctx: &JobContext, run_id: Uuid, reason: &str) -> Result<(), JobError> {
    let (state, version, _) = read::<BackupRun>(db, run_id).await?;
    let Ok(events) = state.decide(&RunCommand::Prune { reason: reason.to_owned() }, Utc::now()) else { return Ok(()) };
    let metadata = metadata(ctx);
    let new = events.iter().map(|e| e.to_new_event_with_id(e.event_id(run_id), metadata.clone())).collect();
    match db.events.append(&BackupRun::stream(run_id), ExpectedVersion::Exact(version), new).await {
        Ok(_) | Err(AppendError::Conflict { .. }) => Ok(()),
        Err(e) => Err(JobError::Retryable(format!("recording BackupPruned: {e}"))),
    }
}

fn fact_name(fact: &RunEvent) -> String {
    fact.to_parts().0
}
