//! The backup commands: plans (create, change, delete, with their inputs checked against this machine), runs
//! asked for by hand, and the verifications and restores of finished runs. Each loads its stream, decides with
//! the domain's rules and appends at the version read; the work itself is the backup worker's, reached through
//! the dispatcher (invariant 2).

use lawha_backup::paths::PathPolicy;
use lawha_domain::{
    Aggregate, Metadata,
    backups::{BackupPlan, BackupRun, PlanCommand, PlanRejection, RestoreTarget, RunCommand, RunRejection, Trigger},
};
use lawha_store::{Database, SealKey, secrets};
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
    lawha_store::decide_and_append::<A, _>(db.events.as_ref(), id, command, metadata).await
}

/// Moves a sealed value into the secrets table (`purpose` says what it is); its reference takes its place, so
/// the event records `secret:<id>`, never the sealed value.
async fn keep(db: &Database, purpose: &str, value: &mut Option<String>) -> Result<(), BackupCommandError> {
    if let Some(sealed) = value.as_deref().filter(|v| !secrets::is_reference(v)) {
        *value = Some(secrets::keep(&db.read_models, purpose, sealed).await?);
    }
    Ok(())
}

/// Forgets what [`keep`] kept for a command that was then refused (best effort: an orphan row names nothing).
async fn forget(db: &Database, kept: &[Option<String>]) {
    secrets::forget_each(&db.read_models, kept.iter().flatten()).await;
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
    let mut spec = input.into_spec(seal, policy, taken).map_err(BackupCommandError::Invalid)?;
    keep(db, "plan_password", &mut spec.source.password_secret).await?;
    let kept = [spec.source.password_secret.clone()];
    let plan_id = Uuid::now_v7();
    if let Err(e) = decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Create { plan_id, spec }, metadata).await
    {
        forget(db, &kept).await;
        return Err(e);
    }
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
        spec.source.password_secret = current.source.password_secret.clone();
    } else {
        keep(db, "plan_password", &mut spec.source.password_secret).await?;
    }
    let new = spec.source.password_secret.clone();
    if let Err(e) = decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Update { spec }, metadata).await {
        if !shown_back {
            forget(db, &[new]).await;
        }
        return Err(e);
    }
    // The replaced password is forgotten (a run asked for before reads the plan as it is now).
    if current.source.password_secret != new {
        forget(db, &[current.source.password_secret]).await;
    }
    Ok(())
}

/// Deletes a plan (its archives stay on disk, its runs in the log).
pub async fn delete_plan(db: &Database, plan_id: Uuid, metadata: &Metadata) -> Result<(), BackupCommandError> {
    let password = load_stream::<BackupPlan>(db, plan_id).await?.spec.and_then(|s| s.source.password_secret);
    decide_and_append::<BackupPlan>(db, plan_id, &PlanCommand::Delete, metadata).await.map_err(not_found(plan_id))?;
    // The plan's password is forgotten with it.
    forget(db, &[password]).await;
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
    let mut identity = identity.map(|i| seal.seal(i.as_bytes()));
    keep(db, "age_identity", &mut identity).await?;
    let command = RunCommand::Verify { identity_secret: identity.clone() };
    run_command(db, run_id, &command, metadata, &[identity]).await
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
    let mut target = target;
    keep(db, "target_password", &mut target.password_secret).await?;
    let mut identity = identity.map(|i| seal.seal(i.as_bytes()));
    keep(db, "age_identity", &mut identity).await?;
    let kept = [target.password_secret.clone(), identity.clone()];
    let command = RunCommand::Restore { target, overwrite, identity_secret: identity };
    run_command(db, run_id, &command, metadata, &kept).await
}

/// Decides and appends a run's command; what was kept for it is forgotten when it is refused.
async fn run_command(
    db: &Database,
    run_id: Uuid,
    command: &RunCommand,
    metadata: &Metadata,
    kept: &[Option<String>],
) -> Result<Uuid, BackupCommandError> {
    let result = decide_and_append::<BackupRun>(db, run_id, command, metadata).await;
    if result.is_err() {
        forget(db, kept).await;
    }
    match result {
        Ok(ids) => Ok(ids[0]),
        Err(BackupCommandError::Run(RunRejection::NotFound)) => Err(BackupCommandError::RunMissing(run_id)),
        Err(e) => Err(e),
    }
}
