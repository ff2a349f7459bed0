//! The job commands: retry by hand (load the job's stream, decide, append at the version read), and the
//! requests for work an admin makes (verify the audit chain, rebuild a projection, run a probe), each one
//! `…Requested` event whose id becomes the job's id. Shared by the API and the pages.

use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    jobs::{JobCommand, JobEvent, JobState},
    users::Role,
};
use lawha_jobs::registry;
use lawha_store::{CommandError, Database};

use super::JobError;
use serde_json::{Value, json};
use uuid::Uuid;

/// The stream that holds the audit chain's verification requests and results.
pub const AUDIT_CHAIN_STREAM: &str = "audit_chain-main";

/// A retry that was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retried {
    /// The job.
    pub job_id: Uuid,
    /// The attempt that will run.
    pub attempt: u32,
    /// The job stream's version after the retry, for waiting on the read model.
    pub stream_version: i64,
}

/// What one who asks for a retry may do: their level, and whether they are a signed-in person (not a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Power {
    /// The asker's level.
    pub level: Role,
    /// A signed-in person rather than an API token.
    pub interactive: bool,
}

impl Power {
    /// Whether this power covers `needed`.
    pub fn covers(self, needed: Power) -> bool {
        self.level >= needed.level && (self.interactive || !needed.interactive)
    }
}

/// The power a retry by hand of a `kind` job needs: the power of the request that made the job, so an operator
/// cannot re-run an admin's work (a projection rebuild, a restore that overwrites a folder).
pub fn retry_needs(kind: &str) -> Power {
    let (level, interactive) = match kind {
        "RunBackup" | "VerifyBackup" => (Role::Operator, false),
        "RestoreBackup" => (Role::Admin, true),
        // VerifyAuditChain, RebuildProjection, Probe, and any kind this build does not know.
        _ => (Role::Admin, false),
    };
    Power { level, interactive }
}

/// Runs a failed or dead job again: decides `JobCommand::Retry` on the job's stream and appends
/// `JobRetryRequested` at the version read, so two people retrying at once get one retry and one conflict. The
/// asker needs the power the job's own request needed ([`retry_needs`]).
pub async fn retry(db: &Database, job_id: Uuid, power: Power, metadata: &Metadata) -> Result<Retried, JobError> {
    let stream = JobState::stream(job_id);
    let kind = lawha_store::load::<JobState>(db.events.as_ref(), &stream).await?.state.job.map(|j| j.kind);
    let needed = retry_needs(kind.as_deref().unwrap_or_default());
    if !power.covers(needed) {
        return Err(JobError::RetryForbidden { kind: kind.unwrap_or_default(), needed });
    }
    // A queued job has no stream yet; the read model knows it, and the rules then say why it cannot be retried.
    if db.events.stream_version(&stream).await? == 0 && !super::read::exists(&db.read_models, job_id).await? {
        return Err(JobError::NotFound(job_id.to_string()));
    }
    let envelope = |state: &JobState, e: &JobEvent| {
        let metadata = Metadata { correlation_id: state.job.as_ref().map(|j| j.correlation_id), ..metadata.clone() };
        e.to_new_event_with_id(e.event_id(job_id), metadata)
    };
    let executed = lawha_store::execute::<JobState>(db.events.as_ref(), &stream, &JobCommand::Retry, envelope)
        .await
        .map_err(|e| match e {
            CommandError::Rejected(rejection) => JobError::Rejected(rejection),
            CommandError::Append(append) => JobError::Append(append),
        })?;
    let attempt = executed
        .events
        .iter()
        .find_map(|e| match e {
            JobEvent::JobRetryRequested { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .unwrap_or_default();
    let stream_version = executed.appended.map_or(executed.before.version, |a| a.stream_version);
    Ok(Retried { job_id, attempt, stream_version })
}

/// Appends one request for work after checking it as the dispatcher will; returns its id, the job's id.
async fn request(
    db: &Database,
    event_type: &str,
    stream: &StreamId,
    expected: ExpectedVersion,
    data: Value,
    metadata: &Metadata,
) -> Result<Uuid, JobError> {
    registry::check_request(event_type, &data).map_err(JobError::Invalid)?;
    let event = NewEvent::new(event_type, data, metadata.clone());
    let job_id = event.event_id;
    db.events.append(stream, expected, vec![event]).await?;
    Ok(job_id)
}

fn stream(name: String) -> Result<StreamId, JobError> {
    StreamId::parse(name).map_err(|e| JobError::Invalid(lawha_domain::Message::text(e.to_string())))
}

/// Asks for a verification of the audit chain (the `VerifyAuditChain` job appends `AuditChainVerified`).
pub async fn verify_audit_chain(db: &Database, metadata: &Metadata) -> Result<Uuid, JobError> {
    let stream = stream(AUDIT_CHAIN_STREAM.to_owned())?;
    request(db, "AuditChainVerifyRequested", &stream, ExpectedVersion::Any, json!({}), metadata).await
}

/// Asks for a rebuild of the projection `name`, refusing names that are not projections of this panel.
pub async fn rebuild_projection(db: &Database, name: &str, metadata: &Metadata) -> Result<Uuid, JobError> {
    let known: Vec<&'static str> = crate::projections::all().iter().map(|p| p.name()).collect();
    if !known.contains(&name) {
        return Err(JobError::UnknownProjection { name: name.to_owned(), known });
    }
    let stream = stream(format!("projection-{name}"))?;
    let data = json!({ "projection": name });
    request(db, "ProjectionRebuildRequested", &stream, ExpectedVersion::Any, data, metadata).await
}

/// Asks for a probe job (sleep, then succeed, fail or panic) on a stream of its own. `data` has the shape of
/// the API's probe body (the API reads it with unknown fields refused); its bounds are the job registry's, so the
/// request is refused here exactly as the dispatcher would refuse it.
pub async fn probe(db: &Database, data: Value, metadata: &Metadata) -> Result<Uuid, JobError> {
    let stream = stream(format!("probe-{}", Uuid::now_v7()))?;
    request(db, "ProbeRequested", &stream, ExpectedVersion::Exact(0), data, metadata).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_needs_the_power_of_the_request_that_made_the_job() {
        let token = |level| Power { level, interactive: false };
        let session = |level| Power { level, interactive: true };
        for kind in ["RunBackup", "VerifyBackup"] {
            assert!(token(Role::Operator).covers(retry_needs(kind)), "{kind}");
            assert!(!token(Role::Viewer).covers(retry_needs(kind)), "{kind}");
        }
        for kind in ["RebuildProjection", "VerifyAuditChain", "Probe", "SomethingNew"] {
            assert!(!session(Role::Operator).covers(retry_needs(kind)), "{kind}");
            assert!(token(Role::Admin).covers(retry_needs(kind)), "{kind}");
        }
        assert!(!token(Role::Admin).covers(retry_needs("RestoreBackup")), "a restore needs a signed-in admin");
        assert!(!session(Role::Operator).covers(retry_needs("RestoreBackup")));
        assert!(session(Role::Admin).covers(retry_needs("RestoreBackup")));
    }
}
