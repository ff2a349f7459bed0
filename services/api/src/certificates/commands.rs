//! The certificates commands: ask for a certificate (its first order is queued at once), renew it now, delete it.
//! Each loads the certificate's stream, decides with the domain's rules and appends at the version read; the
//! orders themselves are the cert worker's of the certificate's host, reached through the dispatcher on
//! `certificates.<host>` (invariant 2).

use lawha_domain::{
    Metadata,
    certificates::{Certificate, CertificateCommand, RenewalTrigger},
};
use lawha_store::Database;
use uuid::Uuid;

use super::{CertError, CertificateInput};

/// A certificate order asked for: the certificate and the job that orders it.
#[derive(Debug, Clone, Copy)]
pub struct Requested {
    /// The certificate.
    pub certificate_id: Uuid,
    /// The job that orders it (the request event's id).
    pub job_id: Uuid,
}

/// Decides `command` on certificate `id` and appends the facts; returns the first fact's id (the job's).
async fn decide(
    db: &Database,
    id: Uuid,
    command: &CertificateCommand,
    metadata: &Metadata,
) -> Result<Requested, CertError> {
    let ids =
        lawha_store::decide_and_append::<Certificate, CertError>(db.events.as_ref(), id, command, metadata).await?;
    Ok(Requested { certificate_id: id, job_id: ids.first().copied().unwrap_or(id) })
}

/// Asks for a certificate; its first order is queued on its host's queue at once.
pub async fn request(
    db: &Database,
    own_host: &str,
    input: CertificateInput,
    metadata: &Metadata,
) -> Result<Requested, CertError> {
    let spec = input.into_spec(db, own_host).await?;
    let certificate_id = Uuid::now_v7();
    decide(db, certificate_id, &CertificateCommand::Request { certificate_id, spec }, metadata).await
}

/// Asks for a new order now, by the actor of `metadata`; `force` orders even while an order seems under way. A
/// certificate never requested or deleted is refused by its rules (404).
pub async fn renew(db: &Database, id: Uuid, force: bool, metadata: &Metadata) -> Result<Requested, CertError> {
    let trigger = RenewalTrigger::Manual { actor: metadata.actor.clone().unwrap_or_default() };
    decide(db, id, &CertificateCommand::Renew { trigger, force }, metadata).await
}

/// Deletes a certificate: no more renewals; the files on its host stay until an operator removes them. A
/// certificate never requested or deleted already is refused by its rules (404).
pub async fn delete(db: &Database, id: Uuid, metadata: &Metadata) -> Result<(), CertError> {
    decide(db, id, &CertificateCommand::Delete, metadata).await.map(drop)
}
