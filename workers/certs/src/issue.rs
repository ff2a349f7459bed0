//! `IssueCertificate` and `RenewCertificate`: one order of a certificate, from the CA to nginx. The handler
//! reads the certificate; with no order under way (installed, failed, deleted) it does nothing. Otherwise it
//! orders (naming the served certificate as replaced), stages the chain and key on disk, records
//! `CertificateIssued`, installs, and records `CertificateInstalled`. A job redelivered after
//! `CertificateIssued` finds the certificate issued but not installed and installs the staged files without
//! ordering again.
//!
//! A failed order is recorded (`CertificateOrderFailed`, with its step and reason) and ends the job for good:
//! the certificate's backoff decides the next try, which the renewal check asks for. Only the database's
//! failures are retried as jobs.

use async_trait::async_trait;
use chrono::Utc;
use lawha_domain::certificates::{
    Certificate, CertificateCommand, CertificateSpec, CertificateStatus, Installation, Issuance, OrderStep,
};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    Deps,
    engine::{EngineError, install::CHAIN, x509},
    messages, metrics,
    record::{self, Recorded, Recorder},
};

/// The handler of both kinds.
#[derive(Debug, Clone)]
pub struct Issue(pub Deps);

/// The certificate the job's payload names.
fn certificate_id(ctx: &JobContext) -> Result<Uuid, JobError> {
    ctx.job.payload["certificate_id"]
        .as_str()
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| JobError::Permanent(messages::payload_missing("certificate_id")))
}

#[async_trait]
impl Handler for Issue {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let id = certificate_id(ctx)?;
        let certificate = record::read(&self.0.db, id).await?;
        let Some(spec) = certificate.spec.clone() else {
            return Err(JobError::Permanent(messages::certificate_missing(id)));
        };
        let attempt = Attempt {
            deps: &self.0,
            ctx,
            id,
            spec,
            recorder: Recorder {
                actor: format!("worker:{}", ctx.worker),
                job_id: ctx.job.id,
                correlation_id: Some(ctx.job.correlation_id),
            },
        };
        match certificate.status {
            CertificateStatus::Ordering => attempt.order(&certificate).await,
            CertificateStatus::Issued => attempt.install_issued(&certificate).await,
            status => {
                ctx.log(messages::nothing_to_do(status.as_str())).await;
                Ok(json!({ "certificate_id": id, "outcome": "nothing", "status": status.as_str() }))
            }
        }
    }
}

/// One job's work on one certificate.
struct Attempt<'a> {
    deps: &'a Deps,
    ctx: &'a JobContext,
    id: Uuid,
    spec: CertificateSpec,
    recorder: Recorder,
}

impl Attempt<'_> {
    /// The certificate's first name, its metrics' label.
    fn name(&self) -> &str {
        self.spec.names.first().map_or("", String::as_str)
    }

    /// The ARI id of the certificate served now, read from its installed chain, when it is the current one.
    fn served_ari_id(&self, certificate: &Certificate) -> Option<String> {
        let current = certificate.current.as_ref()?;
        if certificate.installed_serial.as_ref() != Some(&current.serial) {
            return None;
        }
        let path = self.deps.installer.dir.join(self.id.to_string()).join(CHAIN);
        let leaf = x509::leaf(&std::fs::read_to_string(path).ok()?).ok()?;
        (leaf.serial == current.serial).then_some(leaf.ari_id).flatten()
    }

    /// Orders, stages, records the issuance, installs.
    async fn order(&self, certificate: &Certificate) -> Result<Value, JobError> {
        let replaces = self.served_ari_id(certificate);
        self.ctx.log(messages::ordering(self.spec.names.join(", "), self.spec.directory.url())).await;
        let issued = match self.deps.acme.order(&self.spec, replaces.as_deref()).await {
            Ok(issued) => issued,
            Err(e) => return self.fail(e).await,
        };
        let leaf = match x509::leaf(&issued.chain_pem) {
            Ok(leaf) => leaf,
            Err(reason) => return self.fail(EngineError::permanent(OrderStep::Download, reason)).await,
        };
        if let Err(e) = self.deps.installer.stage(self.id, &issued.chain_pem, &issued.key_pem) {
            return self.fail(e).await;
        }
        let issuance = Issuance {
            serial: leaf.serial.clone(),
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            issuer: leaf.issuer.clone(),
            sha256_fingerprint: leaf.sha256_fingerprint.clone(),
            order_url: issued.order_url.clone(),
            ari_replaces: issued.replaces.clone(),
        };
        let Recorded::Done(after) = self.record(CertificateCommand::RecordIssued(issuance)).await? else {
            return Ok(json!({ "certificate_id": self.id, "outcome": "refused" }));
        };
        self.ctx.log(messages::issued(&leaf.serial, leaf.not_after.to_rfc3339())).await;
        self.install(&after, &issued.chain_pem, &issued.key_pem).await
    }

    /// A redelivered job: installs the certificate an earlier attempt got and recorded.
    async fn install_issued(&self, certificate: &Certificate) -> Result<Value, JobError> {
        let serial = certificate.current.as_ref().map(|c| c.serial.clone()).unwrap_or_default();
        let staged = match self.deps.installer.staged(self.id) {
            Ok(staged) => staged,
            Err(e) => return self.fail(e).await,
        };
        let same = |chain: &str| x509::leaf(chain).is_ok_and(|leaf| leaf.serial == serial);
        let pair = match staged.filter(|(chain, _)| same(chain)) {
            Some(pair) => Some(pair),
            // Installed already, but the job ended before it could say so: install the same files again.
            None => self.installed_pair().filter(|(chain, _)| same(chain)),
        };
        let Some((chain, key)) = pair else {
            return self.fail(EngineError::permanent(OrderStep::Install, messages::staged_missing(&serial))).await;
        };
        self.ctx.log(messages::installing_staged(&serial)).await;
        self.install(certificate, &chain, &key).await
    }

    /// The installed chain and key, if both are there.
    fn installed_pair(&self) -> Option<(String, String)> {
        let folder = self.deps.installer.dir.join(self.id.to_string());
        let chain = std::fs::read_to_string(folder.join(CHAIN)).ok()?;
        let key = std::fs::read_to_string(folder.join(crate::engine::install::KEY)).ok()?;
        Some((chain, key))
    }

    /// Installs `chain` and `key`, the certificate issued, and records it.
    async fn install(&self, certificate: &Certificate, chain: &str, key: &str) -> Result<Value, JobError> {
        let Some(current) = certificate.current.clone() else {
            return Err(JobError::Permanent(messages::certificate_missing(self.id)));
        };
        let installed = match self.deps.installer.install(self.id, chain, key).await {
            Ok(installed) => installed,
            Err(e) => return self.fail(e).await,
        };
        let installation = Installation {
            serial: current.serial.clone(),
            certificate_path: installed.certificate_path.display().to_string(),
            key_path: installed.key_path.display().to_string(),
            nginx_reloaded: installed.nginx_reloaded,
        };
        self.record(CertificateCommand::RecordInstalled(installation)).await?;
        metrics::installed(self.name());
        metrics::expiry(self.name(), current.not_after, Utc::now());
        self.ctx.log(messages::installed(installed.certificate_path.display().to_string())).await;
        Ok(json!({ "certificate_id": self.id, "outcome": "installed", "serial": current.serial }))
    }

    /// Records a failed order and ends the job for good.
    async fn fail(&self, error: EngineError) -> Result<Value, JobError> {
        let command = CertificateCommand::RecordFailure { step: error.step, reason: error.reason.clone() };
        if let Recorded::Done(after) = self.record(command).await? {
            metrics::failure(self.name(), after.last_failure.map_or(1, |f| f.attempt));
        }
        tracing::warn!(certificate = %self.id, step = error.step.as_str(), reason = %error.reason,
            retryable = error.retryable, "a certificate order failed");
        Err(JobError::Permanent(messages::failed(error.step.as_str(), error.reason)))
    }

    /// Records `command` for this job.
    async fn record(&self, command: CertificateCommand) -> Result<Recorded, JobError> {
        self.recorder.record(&self.deps.db, self.id, &command).await
    }
}
