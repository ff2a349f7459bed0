//! The backup commands: plans (create, change, delete, with their inputs checked against this machine), runs
//! asked for by hand, and the verifications and restores of finished runs. Each loads its stream, decides with
//! the domain's rules and appends at the version read; the work itself is the backup worker's, reached through
//! the dispatcher (invariant 2).

use lawha_backup::paths::PathPolicy;
use lawha_domain::{
    Aggregate, DomainEvent as _, Metadata,
    backups::{BackupPlan, BackupRun, PlanCommand, PlanRejection, RestoreTarget, RunCommand, RunRejection, Trigger},
};
use lawha_store::{CommandError, Database, SealKey};
use uuid::Uuid;

use super::{BackupCommandError, PlanInput, read};

/// The key that seals database passwords of plans and restore targets.
pub fn seal_key(secret: &[u8]) -> SealKey {
    SealKey::derive(secret, lawha_domain::backups::SEAL_PURPOSE)
}

async fn load_stream<A: Aggregate>(db: &Database, id: Uuid) -> Result<A, BackupCommandError> {
    Ok(lawha_store::load::<A>(db.events.as_ref(), &A::stream(id)).await?.state)
}

async fn decide_and_append<A: Aggregate>(
    db: &Database,
    id: Uuid,
    command: &A::Command,
    metadata: &Metadata,
) -> Result<Vec<Uuid>, BackupCommandError>
where
    BackupCommandError: From<A::Rejection>,
{
    let envelope = |_: &A, e: &A::Event| e.to_new_event(metadata.clone());
    match lawha_store::execute::<A>(db.events.as_ref(), &A::stream(id), command, envelope).await {
        Ok(executed) => Ok(executed.ids),
        Err(CommandError::Rejected(rejection)) => Err(rejection.into()),
        Err(CommandError::Append(e)) => Err(e.into()),
    }
}

/// Creates a plan whose paths `policy` allows; returns its id.
pub async fn create_plan(
    db: &Database,
    seal: &SealKey,
    policy: &PathPolicy,
    input: PlanInput,
    metadata: &Metadata,
) -> Result<Uuid, BackupCommandError> {
    let taken = read::name_taken(&db.read_models, &input.name, None).await?;
    let spec = input.into_spec(seal, policy, taken).map_err(BackupCommandError::Invalid)?;
    let plan_id = Uuid::now_v7();
    decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Create { plan_id, spec }, metadata).await?;
    Ok(plan_id)
}

/// Replaces a plan's spec (its paths checked against `policy`). A URL sent as it is shown (with `***`) keeps the
/// stored password.
pub async fn update_plan(
    db: &Database,
    seal: &SealKey,
    policy: &PathPolicy,
    plan_id: Uuid,
    input: PlanInput,
    metadata: &Metadata,
) -> Result<(), BackupCommandError> {
    let plan = load_stream::<BackupPlan>(db, plan_id).await?;
    let Some(current) = plan.spec.filter(|_| !plan.deleted) else {
        return Err(BackupCommandError::PlanMissing(plan_id));
    };
    let taken = read::name_taken(&db.read_models, &input.name, Some(plan_id)).await?;
    // The URL as the API shows it (`***` for the password): the stored password stays.
    let shown_back = input.source.url.is_some() && input.source.url == current.source.url;
    let mut spec = input.into_spec(seal, policy, taken).map_err(BackupCommandError::Invalid)?;
    if shown_back {
        spec.source.password_sealed = current.source.password_sealed.clone();
    }
    decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Update { spec }, metadata).await?;
    Ok(())
}

/// Deletes a plan (its archives stay on disk, its runs in the log).
pub async fn delete_plan(db: &Database, plan_id: Uuid, metadata: &Metadata) -> Result<(), BackupCommandError> {
    decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Delete, metadata).await.map_err(not_found(plan_id))?;
    Ok(())
}

fn not_found(plan_id: Uuid) -> impl FnOnce(BackupCommandError) -> BackupCommandError {
    move |e| match e {
        BackupCommandError::Plan(PlanRejection::NotFound) => BackupCommandError::PlanMissing(plan_id),
        other => other,
    }
}

/// A run that was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Requested {
    /// The run.
    pub run_id: Uuid,
    /// Its job (the id of `BackupRequested`).
    pub job_id: Uuid,
}

/// Asks for a backup of a plan now.
pub async fn request_run(db: &Database, plan_id: Uuid, metadata: &Metadata) -> Result<Requested, BackupCommandError> {
    let plan = load_stream::<BackupPlan>(db, plan_id).await?;
    if plan.id.is_none() || plan.deleted {
        return Err(BackupCommandError::PlanMissing(plan_id));
    }
    let run_id = Uuid::now_v7();
    let command = RunCommand::Request { run_id, plan_id, trigger: Trigger::Manual };
    let ids = decide_and_append::<BackupRun>(db, run_id, &command, metadata).await?;
    Ok(Requested { run_id, job_id: ids[0] })
}

/// Asks for a verification of a run's archive; returns the job id.
pub async fn request_verify(
    db: &Database,
    seal: &SealKey,
    run_id: Uuid,
    identity: Option<&str>,
    metadata: &Metadata,
) -> Result<Uuid, BackupCommandError> {
    let command = RunCommand::Verify { identity_sealed: identity.map(|i| seal.seal(i.as_bytes())) };
    run_command(db, run_id, &command, metadata).await
}

/// Asks for a restore of a run's archive into `target`; returns the job id.
pub async fn request_restore(
    db: &Database,
    seal: &SealKey,
    run_id: Uuid,
    target: RestoreTarget,
    overwrite: bool,
    identity: Option<&str>,
    metadata: &Metadata,
) -> Result<Uuid, BackupCommandError> {
    let command = RunCommand::Restore { target, overwrite, identity_sealed: identity.map(|i| seal.seal(i.as_bytes())) };
    run_command(db, run_id, &command, metadata).await
}

async fn run_command(
    db: &Database,
    run_id: Uuid,
    command: &RunCommand,
    metadata: &Metadata,
) -> Result<Uuid, BackupCommandError> {
    match decide_and_append::<BackupRun>(db, run_id, command, metadata).await {
        Ok(ids) => Ok(ids[0]),
        Err(BackupCommandError::Run(RunRejection::NotFound)) => Err(BackupCommandError::RunMissing(run_id)),
        Err(e) => Err(e),
    }
}
