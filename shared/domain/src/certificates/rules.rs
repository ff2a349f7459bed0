//! The certificate's rules: a request once with a valid spec, renewals one order at a time (unless forced), the
//! worker's facts only for the order under way and the certificate it issued, nothing after a deletion.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    CertificateRejection, CertificateSpec,
    certificate::{CertificateEvent, CertificateStatus, Installation, Issuance, OrderStep, RenewalTrigger},
    checks,
    renewal::{Failure, Window, retry_at},
};
use crate::aggregate::Aggregate;
use crate::message::Message;

/// What a caller (the API, the scheduled check, a cert worker) asks of a certificate.
#[derive(Debug, Clone)]
pub enum CertificateCommand {
    /// Ask for a certificate; its first issuance is queued at once.
    Request {
        /// The certificate's id.
        certificate_id: Uuid,
        /// What it certifies, and how.
        spec: CertificateSpec,
    },
    /// Ask for a new order.
    Renew {
        /// Who or what asks.
        trigger: RenewalTrigger,
        /// Order even though an order is under way (one that seems stuck).
        force: bool,
    },
    /// The worker's order got a certificate.
    RecordIssued(Issuance),
    /// The worker fetched the CA's renewal window for the current certificate.
    RecordWindow {
        /// The certificate it is for.
        serial: String,
        /// The window.
        window: Window,
        /// When to ask again.
        retry_after: DateTime<Utc>,
        /// The CA's explanation, if any.
        explanation_url: Option<String>,
    },
    /// The worker's order stopped at a step; the attempt and the next try are counted here.
    RecordFailure {
        /// The step.
        step: OrderStep,
        /// Why.
        reason: Message,
    },
    /// The worker installed the certificate issued.
    RecordInstalled(Installation),
    /// Delete the certificate.
    Delete,
}

/// A certificate as its events leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Certificate {
    /// Its id, once requested.
    pub id: Option<Uuid>,
    /// What it certifies.
    pub spec: Option<CertificateSpec>,
    /// Where it is.
    pub status: CertificateStatus,
    /// The last certificate issued.
    pub current: Option<Issuance>,
    /// The serial of the certificate installed and served.
    pub installed_serial: Option<String>,
    /// The CA's window for the current certificate, and when to ask again.
    pub window: Option<(Window, DateTime<Utc>)>,
    /// The last failed order since the last installation, and how many failed in a row.
    pub last_failure: Option<Failure>,
    /// The step and reason of the last failure since the last installation.
    pub last_error: Option<(OrderStep, Message)>,
    /// The last fact, so a worker recording it again records nothing.
    last: Option<CertificateEvent>,
}

impl Aggregate for Certificate {
    const CATEGORY: &'static str = "certificate";
    type Command = CertificateCommand;
    type Event = CertificateEvent;
    type Rejection = CertificateRejection;

    fn apply(mut self, event: &CertificateEvent) -> Self {
        match event {
            CertificateEvent::CertificateRequested { certificate_id, spec, .. } => {
                (self.id, self.spec) = (Some(*certificate_id), Some(spec.clone()));
                self.status = CertificateStatus::Ordering;
            }
            CertificateEvent::CertificateRenewalRequested { .. } => self.status = CertificateStatus::Ordering,
            CertificateEvent::CertificateIssued { issuance, .. } => {
                (self.status, self.current, self.window) = (CertificateStatus::Issued, Some(issuance.clone()), None);
            }
            CertificateEvent::CertificateRenewalWindowFetched { start, end, retry_after, .. } => {
                self.window = Some((Window { start: *start, end: *end }, *retry_after));
            }
            CertificateEvent::CertificateOrderFailed { step, reason, attempt, failed_at, .. } => {
                self.status = CertificateStatus::Failed;
                self.last_failure = Some(Failure { at: *failed_at, attempt: *attempt });
                self.last_error = Some((*step, reason.clone()));
            }
            CertificateEvent::CertificateInstalled(installation) => {
                self.status = CertificateStatus::Installed;
                self.installed_serial = Some(installation.serial.clone());
                (self.last_failure, self.last_error) = (None, None);
            }
            CertificateEvent::CertificateDeleted {} => self.status = CertificateStatus::Deleted,
        }
        self.last = Some(event.clone());
        self
    }

    fn decide(
        &self,
        command: &CertificateCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<CertificateEvent>, CertificateRejection> {
        match command {
            CertificateCommand::Request { certificate_id, spec } => {
                if self.status != CertificateStatus::New {
                    return Err(CertificateRejection::AlreadyExists);
                }
                let problems = spec.problems();
                if !problems.is_empty() {
                    return Err(CertificateRejection::Invalid(problems));
                }
                Ok(vec![CertificateEvent::CertificateRequested {
                    certificate_id: *certificate_id,
                    host: spec.host.clone(),
                    spec: spec.clone(),
                }])
            }
            _ if self.status == CertificateStatus::New => Err(CertificateRejection::NotFound),
            _ if self.status == CertificateStatus::Deleted => Err(CertificateRejection::Deleted),
            CertificateCommand::Renew { trigger, force } => {
                let ordering = self.status.is_ordering();
                if ordering && !force {
                    return Err(CertificateRejection::OrderUnderWay);
                }
                let (Some(certificate_id), Some(spec)) = (self.id, self.spec.as_ref()) else {
                    return Err(CertificateRejection::NotFound);
                };
                Ok(vec![CertificateEvent::CertificateRenewalRequested {
                    certificate_id,
                    host: spec.host.clone(),
                    trigger: trigger.clone(),
                    forced: ordering,
                }])
            }
            CertificateCommand::RecordIssued(issuance) => self.issued(issuance),
            CertificateCommand::RecordWindow { serial, window, retry_after, explanation_url } => {
                let fact = CertificateEvent::CertificateRenewalWindowFetched {
                    serial: serial.clone(),
                    start: window.start,
                    end: window.end,
                    retry_after: *retry_after,
                    explanation_url: explanation_url.clone(),
                };
                if self.last.as_ref() == Some(&fact) {
                    return Ok(Vec::new());
                }
                self.check_current(serial)?;
                if !window.is_valid() {
                    return Err(CertificateRejection::WindowInverted);
                }
                if explanation_url.as_deref().is_some_and(|url| !checks::is_web_url(url)) {
                    return Err(CertificateRejection::FactInvalid("explanation_url"));
                }
                Ok(vec![fact])
            }
            CertificateCommand::RecordFailure { step, reason } => self.failed(*step, reason, now),
            CertificateCommand::RecordInstalled(installation) => {
                let fact = CertificateEvent::CertificateInstalled(installation.clone());
                if self.last.as_ref() == Some(&fact) {
                    return Ok(Vec::new());
                }
                self.check_current(&installation.serial)?;
                if self.status != CertificateStatus::Issued {
                    return Err(CertificateRejection::NoOrderUnderWay);
                }
                for (field, path) in
                    [("certificate_path", &installation.certificate_path), ("key_path", &installation.key_path)]
                {
                    if !checks::is_absolute_path(path) {
                        return Err(CertificateRejection::FactInvalid(field));
                    }
                }
                Ok(vec![fact])
            }
            CertificateCommand::Delete => Ok(vec![CertificateEvent::CertificateDeleted {}]),
        }
    }
}

impl Certificate {
    /// The issued certificate's facts, checked: only during an order, with a sane validity and shapes; the
    /// certificate it replaces is the current one.
    fn issued(&self, issuance: &Issuance) -> Result<Vec<CertificateEvent>, CertificateRejection> {
        let replaced_serial =
            self.current.as_ref().map(|current| current.serial.clone()).filter(|serial| *serial != issuance.serial);
        let fact = CertificateEvent::CertificateIssued { issuance: issuance.clone(), replaced_serial };
        if matches!(&self.last, Some(CertificateEvent::CertificateIssued { issuance: last, .. }) if last == issuance) {
            return Ok(Vec::new());
        }
        if self.status != CertificateStatus::Ordering {
            return Err(CertificateRejection::NoOrderUnderWay);
        }
        if issuance.not_after <= issuance.not_before {
            return Err(CertificateRejection::ValidityInverted);
        }
        let text_ok = |text: &str| !text.trim().is_empty() && text.len() <= 1024 && !text.chars().any(char::is_control);
        let shapes = [
            ("serial", checks::is_serial(&issuance.serial)),
            ("sha256_fingerprint", checks::is_sha256_fingerprint(&issuance.sha256_fingerprint)),
            ("issuer", text_ok(&issuance.issuer)),
            ("order_url", checks::is_web_url(&issuance.order_url)),
            ("ari_replaces", issuance.ari_replaces.as_deref().is_none_or(text_ok)),
        ];
        if let Some((field, _)) = shapes.into_iter().find(|(_, ok)| !ok) {
            return Err(CertificateRejection::FactInvalid(field));
        }
        Ok(vec![fact])
    }

    /// A failed order: counted (the attempt in a row) and given its next try by the backoff.
    fn failed(
        &self,
        step: OrderStep,
        reason: &Message,
        now: DateTime<Utc>,
    ) -> Result<Vec<CertificateEvent>, CertificateRejection> {
        if matches!(&self.last, Some(CertificateEvent::CertificateOrderFailed { step: s, reason: r, .. })
            if *s == step && r == reason)
        {
            return Ok(Vec::new());
        }
        if !self.status.is_ordering() {
            return Err(CertificateRejection::NoOrderUnderWay);
        }
        let attempt = self.last_failure.map_or(1, |failure| failure.attempt.saturating_add(1));
        let next_retry_at = retry_at(Failure { at: now, attempt }, self.current.as_ref().map(|c| c.not_after));
        Ok(vec![CertificateEvent::CertificateOrderFailed {
            step,
            reason: reason.clone(),
            attempt,
            failed_at: now,
            next_retry_at,
        }])
    }

    /// Refuses a fact about another certificate than the current one.
    fn check_current(&self, serial: &str) -> Result<(), CertificateRejection> {
        match &self.current {
            None => Err(CertificateRejection::NotIssued),
            Some(current) if current.serial != serial => {
                Err(CertificateRejection::SerialMismatch { current: current.serial.clone(), given: serial.to_owned() })
            }
            Some(_) => Ok(()),
        }
    }
}
