//! Reading a site or a deployment from the log, and recording a worker's fact on a deployment with the id derived
//! from its job ([`DeploymentEvent::event_id`]), so a redelivered job records nothing twice. A refused fact (the
//! deployment ended meanwhile) records nothing and says so.

use chrono::{DateTime, Utc};
use lawha_domain::{
    Aggregate, DomainEvent as _, Metadata, RecordedEvent,
    deployments::{Deployment, DeploymentCommand, DeploymentEvent},
};
use lawha_jobs::runtime::{JobContext, JobError};
use lawha_store::{AppendError, CommandError, Database, StoreError};
use uuid::Uuid;

use crate::messages;

/// How often a fact is decided again when someone else wrote to the deployment's stream meanwhile.
const CONFLICT_RETRIES: usize = 5;

/// An aggregate's state, its stream's version and its history.
pub async fn read<A: Aggregate>(db: &Database, id: Uuid) -> Result<(A, Vec<RecordedEvent>), JobError> {
    match lawha_store::load::<A>(db.events.as_ref(), &A::stream(id)).await {
        Ok(loaded) => Ok((loaded.state, loaded.history)),
        // An event this build cannot read will not read better on another attempt.
        Err(e @ StoreError::Corrupt { .. }) => {
            Err(JobError::Permanent(messages::stream_unreadable(A::stream(id).as_str(), e.to_string())))
        }
        Err(e) => Err(JobError::Retryable(messages::read_failed(A::stream(id).as_str(), e.to_string()))),
    }
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

/// Records `fact` on deployment `id` for the job in `ctx`; returns the deployment as it is afterwards, or None
/// when its rules refused the fact (it ended, or another worker moved it on): the caller stops there.
pub async fn fact(
    db: &Database,
    ctx: &JobContext,
    id: Uuid,
    fact: DeploymentEvent,
) -> Result<Option<Deployment>, JobError> {
    let metadata = metadata(ctx);
    let envelope =
        |_: &Deployment, e: &DeploymentEvent| e.to_new_event_with_id(e.event_id(ctx.job.id), metadata.clone());
    let name = fact.type_name();
    let command = DeploymentCommand::Record(fact);
    let (events, stream) = (db.events.as_ref(), Deployment::stream(id));
    match lawha_store::execute_retrying::<Deployment>(events, &stream, &command, envelope, CONFLICT_RETRIES).await {
        Ok(done) => Ok(Some(done.events.iter().fold(done.before.state, |state, e| state.apply(e)))),
        Err(CommandError::Rejected(rejection)) => {
            tracing::info!(%rejection, deployment = %id, "the deployment refused a worker's fact; nothing recorded");
            Ok(None)
        }
        Err(CommandError::Append(AppendError::Conflict { .. })) => {
            Err(JobError::Retryable(messages::record_conflicts(name)))
        }
        Err(CommandError::Append(e)) => Err(JobError::Retryable(messages::record_failed(name, e.to_string()))),
    }
}

/// The request of a deployment: its host and when it was asked for.
pub fn request(history: &[RecordedEvent]) -> Option<(String, DateTime<Utc>)> {
    let first = history.first()?;
    match DeploymentEvent::from_recorded(first).ok()? {
        DeploymentEvent::DeploymentRequested { host, .. } => Some((host, first.recorded_at)),
        _ => None,
    }
}
