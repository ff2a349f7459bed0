//! Reading a plan or a run from the log, and recording a worker's fact on a run with the id derived from its
//! job. A refused fact (the run completed meanwhile, a stale attempt) records nothing and says so.

use lawha_domain::{
    Aggregate, DomainEvent as _, Message, Metadata, RecordedEvent,
    backups::{BackupPlan, BackupRun, PlanSpec, RunCommand, RunEvent},
};
use lawha_jobs::runtime::{JobContext, JobError};
use lawha_store::{AppendError, CommandError, Database, StoreError};
use uuid::Uuid;

use crate::messages;

/// The events of an aggregate's stream and its state.
pub async fn read<A: Aggregate>(db: &Database, id: Uuid) -> Result<(A, i64, Vec<RecordedEvent>), JobError> {
    match lawha_store::load::<A>(db.events.as_ref(), &A::stream(id)).await {
        Ok(loaded) => Ok((loaded.state, loaded.version, loaded.history)),
        // An event this build cannot read will not read better on another attempt.
        Err(e @ StoreError::Corrupt { .. }) => {
            Err(JobError::Permanent(messages::stream_unreadable(A::stream(id).as_str(), e.to_string())))
        }
        Err(e) => Err(JobError::Retryable(messages::read_failed(A::stream(id).as_str(), e.to_string()))),
    }
}

/// The spec of a live plan.
pub async fn plan_spec(db: &Database, plan_id: Uuid) -> Result<PlanSpec, JobError> {
    let (plan, _, _) = read::<BackupPlan>(db, plan_id).await?;
    match plan.spec {
        Some(_) if plan.deleted => Err(JobError::Permanent(messages::plan_deleted(plan_id))),
        Some(spec) => Ok(spec),
        None => Err(JobError::Permanent(messages::plan_missing(plan_id))),
    }
}

/// The event that requested a job (its id is the job's id) in the run's history.
pub fn request(history: &[RecordedEvent], job_id: Uuid) -> Result<RunEvent, JobError> {
    let event = history
        .iter()
        .find(|e| e.event_id == job_id)
        .ok_or_else(|| JobError::Permanent(messages::request_missing(job_id)))?;
    RunEvent::from_recorded(event)
        .map_err(|e| JobError::Permanent(messages::stream_unreadable(event.stream.as_str(), e.to_string())))
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
    let envelope = |_: &BackupRun, e: &RunEvent| e.to_new_event_with_id(e.event_id(ctx.job.id), metadata.clone());
    let command = RunCommand::Record(fact.clone());
    for _ in 0..5 {
        match lawha_store::execute::<BackupRun>(db.events.as_ref(), &BackupRun::stream(run_id), &command, envelope)
            .await
        {
            Ok(_) => return Ok(true),
            Err(CommandError::Rejected(rejection)) => {
                tracing::info!(%rejection, run = %run_id, "the run refused a worker's fact; nothing recorded");
                return Ok(false);
            }
            Err(CommandError::Append(AppendError::Conflict { .. })) => continue,
            Err(CommandError::Append(e)) => {
                return Err(JobError::Retryable(messages::record_failed(fact_name(&fact), e.to_string())));
            }
        }
    }
    Err(JobError::Retryable(messages::record_conflicts(fact_name(&fact))))
}

/// Records retention's removal of a run's archive (a run the log does not know as completed is left alone).
pub async fn pruned(db: &Database, ctx: &JobContext, run_id: Uuid, reason: Message) -> Result<(), JobError> {
    let metadata = metadata(ctx);
    let envelope = |_: &BackupRun, e: &RunEvent| e.to_new_event_with_id(e.event_id(run_id), metadata.clone());
    let command = RunCommand::Prune { reason };
    match lawha_store::execute::<BackupRun>(db.events.as_ref(), &BackupRun::stream(run_id), &command, envelope).await {
        Ok(_) | Err(CommandError::Rejected(_) | CommandError::Append(AppendError::Conflict { .. })) => Ok(()),
        Err(CommandError::Append(e)) => {
            Err(JobError::Retryable(messages::record_failed("BackupPruned", e.to_string())))
        }
    }
}

fn fact_name(fact: &RunEvent) -> String {
    fact.to_parts().0
}
