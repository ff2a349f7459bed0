//! Reading a certificate from the log, and recording a command on it: a worker's fact with the id derived from
//! its job ([`CertificateEvent::event_id`]), so a redelivered job records nothing twice. A command the
//! certificate's rules refuse records nothing and says why; a conflict with another writer decides again.

use lawha_domain::{
    Aggregate, DomainEvent as _, Metadata,
    certificates::{Certificate, CertificateCommand, CertificateRejection},
};
use lawha_jobs::runtime::JobError;
use lawha_store::{AppendError, CommandError, Database, StoreError};
use uuid::Uuid;

use crate::messages;

/// How often a command is decided again when someone else wrote to the certificate's stream meanwhile.
const CONFLICT_RETRIES: usize = 5;

/// The certificate `id` as its events leave it.
pub async fn read(db: &Database, id: Uuid) -> Result<Certificate, JobError> {
    let stream = Certificate::stream(id);
    match lawha_store::load::<Certificate>(db.events.as_ref(), &stream).await {
        Ok(loaded) => Ok(loaded.state),
        // An event this build cannot read will not read better on another attempt.
        Err(e @ StoreError::Corrupt { .. }) => {
            Err(JobError::Permanent(messages::stream_unreadable(stream.as_str(), e.to_string())))
        }
        Err(e) => Err(JobError::Retryable(messages::read_failed(stream.as_str(), e.to_string()))),
    }
}

/// Who records: the job `job_id` of worker `worker`, or the renewal check (no job).
#[derive(Debug, Clone)]
pub struct Recorder {
    /// `worker:<name>` or `certs-check:<host>`.
    pub actor: String,
    /// The job the facts derive their ids from (a fresh id for the check).
    pub job_id: Uuid,
    /// The correlation id of the job, if any.
    pub correlation_id: Option<Uuid>,
}

/// What happened to a command.
#[derive(Debug)]
pub enum Recorded {
    /// Recorded (or already recorded): the certificate afterwards.
    Done(Box<Certificate>),
    /// The certificate's rules refused it.
    Refused(CertificateRejection),
}

impl Recorder {
    /// Runs `command` on certificate `id`.
    pub async fn record(&self, db: &Database, id: Uuid, command: &CertificateCommand) -> Result<Recorded, JobError> {
        let metadata = Metadata {
            actor: Some(self.actor.clone()),
            correlation_id: self.correlation_id,
            causation_id: Some(self.job_id),
            ..Metadata::default()
        };
        let envelope = |_: &Certificate, e: &lawha_domain::certificates::CertificateEvent| {
            e.to_new_event_with_id(e.event_id(self.job_id), metadata.clone())
        };
        let name = command_name(command);
        let stream = Certificate::stream(id);
        let events = db.events.as_ref();
        match lawha_store::execute_retrying::<Certificate>(events, &stream, command, envelope, CONFLICT_RETRIES).await {
            Ok(done) => {
                let after = done.events.iter().fold(done.before.state, |state, e| state.apply(e));
                Ok(Recorded::Done(Box::new(after)))
            }
            Err(CommandError::Rejected(rejection)) => {
                tracing::info!(%rejection, certificate = %id, command = name, "the certificate refused a command");
                Ok(Recorded::Refused(rejection))
            }
            Err(CommandError::Append(AppendError::Conflict { .. })) => {
                Err(JobError::Retryable(messages::record_conflicts(name)))
            }
            Err(CommandError::Append(e)) => Err(JobError::Retryable(messages::record_failed(name, e.to_string()))),
        }
    }
}

/// The name of the fact a command records, for messages.
fn command_name(command: &CertificateCommand) -> &'static str {
    match command {
        CertificateCommand::Request { .. } => "CertificateRequested",
        CertificateCommand::Renew { .. } => "CertificateRenewalRequested",
        CertificateCommand::RecordIssued(_) => "CertificateIssued",
        CertificateCommand::RecordWindow { .. } => "CertificateRenewalWindowFetched",
        CertificateCommand::RecordFailure { .. } => "CertificateOrderFailed",
        CertificateCommand::RecordInstalled(_) => "CertificateInstalled",
        CertificateCommand::Delete => "CertificateDeleted",
    }
}
