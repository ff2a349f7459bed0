//! The facts of a certificate: its request, each renewal asked for, and what the cert worker found: the
//! certificate issued, the CA's renewal window, the installation into nginx, or the step an order failed at.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::CertificateSpec;
use crate::{aggregate::DomainEvent, event::event_id_for, message::Message};

/// Who or what asked for a renewal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RenewalTrigger {
    /// The scheduled check: a third of the lifetime is left, or the backoff after a failure is over.
    Schedule,
    /// A person or a token, through the API or the UI.
    Manual {
        /// Who asked.
        actor: String,
    },
    /// The scheduled check, because the CA's renewal window (ARI) says so.
    AriWindow,
}

/// A step of an order, in the order they happen; a failure names the one it happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStep {
    /// Find or register the ACME account.
    Account,
    /// Create the order.
    Order,
    /// Fetch the authorizations.
    Authorization,
    /// Answer a challenge and wait for the CA to check it.
    Challenge,
    /// Send the CSR.
    Finalize,
    /// Download the chain.
    Download,
    /// Write the files, test nginx's configuration and reload it.
    Install,
}

impl OrderStep {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Order => "order",
            Self::Authorization => "authorization",
            Self::Challenge => "challenge",
            Self::Finalize => "finalize",
            Self::Download => "download",
            Self::Install => "install",
        }
    }
}

/// What the worker read from an issued certificate (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuance {
    /// The serial number, lowercase hexadecimal.
    pub serial: String,
    /// The start of its validity.
    pub not_before: DateTime<Utc>,
    /// The end of its validity.
    pub not_after: DateTime<Utc>,
    /// The issuer's distinguished name, as the certificate says it.
    pub issuer: String,
    /// SHA-256 of the DER certificate, 64 lowercase hexadecimal digits.
    pub sha256_fingerprint: String,
    /// The ACME order's URL.
    pub order_url: String,
    /// The ARI identifier of the certificate the order named as replaced (`base64url(AKI).base64url(serial)`),
    /// sent in the order's `replaces` so the CA exempts the renewal from rate limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ari_replaces: Option<String>,
}

/// Where the worker installed a certificate on its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    /// The serial of the certificate installed.
    pub serial: String,
    /// The full chain's file.
    pub certificate_path: String,
    /// The key's file (mode 0600); the key itself stays there.
    pub key_path: String,
    /// Whether nginx was tested and reloaded (false where no nginx is configured, as in development).
    pub nginx_reloaded: bool,
}

/// What happened to a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CertificateEvent {
    /// A certificate was asked for; its first issuance is queued at once (on `certificates.<host>`, the job's id
    /// is this event's).
    CertificateRequested {
        /// Its id (also the stream's).
        certificate_id: Uuid,
        /// The host whose cert worker orders and installs it (the spec's; here too for the job's queue).
        host: String,
        /// What it certifies, and how.
        spec: CertificateSpec,
    },
    /// A new order was asked for a certificate (the job's id is this event's).
    CertificateRenewalRequested {
        /// The certificate's id (for the job's payload).
        certificate_id: Uuid,
        /// Its host (for the job's queue, `certificates.<host>`).
        host: String,
        /// Who or what asked.
        trigger: RenewalTrigger,
        /// Whether it was asked while an order was still under way (a stuck order, renewed by hand).
        forced: bool,
    },
    /// The CA issued a certificate.
    CertificateIssued {
        /// What it is.
        issuance: Issuance,
        /// The serial of the certificate it replaces, if one was issued before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaced_serial: Option<String>,
    },
    /// The CA's suggested renewal window for the current certificate (ARI).
    CertificateRenewalWindowFetched {
        /// The serial of the certificate it is for.
        serial: String,
        /// The window.
        start: DateTime<Utc>,
        /// Its end.
        end: DateTime<Utc>,
        /// When to ask the CA again (its Retry-After).
        retry_after: DateTime<Utc>,
        /// The CA's page explaining a window moved early (a revocation), if it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation_url: Option<String>,
    },
    /// An order stopped at a step; the certificate served before (if any) is still served.
    CertificateOrderFailed {
        /// The step it stopped at.
        step: OrderStep,
        /// Why (never a secret).
        reason: Message,
        /// How many orders in a row have failed, this one included.
        attempt: u32,
        /// When it failed.
        failed_at: DateTime<Utc>,
        /// When the next try falls due ([`super::retry_at`]).
        next_retry_at: DateTime<Utc>,
    },
    /// The certificate was written on its host and nginx serves it.
    CertificateInstalled(Installation),
    /// The certificate was deleted: no more renewals. The installed files stay until an operator removes them.
    CertificateDeleted {},
}

/// Every certificate fact is at schema 1 (the default).
impl DomainEvent for CertificateEvent {}

impl CertificateEvent {
    /// The stored type name (`CertificateIssued`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::CertificateRequested { .. } => "CertificateRequested",
            Self::CertificateRenewalRequested { .. } => "CertificateRenewalRequested",
            Self::CertificateIssued { .. } => "CertificateIssued",
            Self::CertificateRenewalWindowFetched { .. } => "CertificateRenewalWindowFetched",
            Self::CertificateOrderFailed { .. } => "CertificateOrderFailed",
            Self::CertificateInstalled(_) => "CertificateInstalled",
            Self::CertificateDeleted {} => "CertificateDeleted",
        }
    }

    /// The id of a fact a worker records for `job_id`, derived so a redelivery records it once; a request gets
    /// a fresh id (it is the job's id).
    pub fn event_id(&self, job_id: Uuid) -> Uuid {
        let step = match self {
            Self::CertificateRequested { .. }
            | Self::CertificateRenewalRequested { .. }
            | Self::CertificateDeleted {} => {
                return Uuid::now_v7();
            }
            Self::CertificateIssued { .. } => "certificate-issued",
            Self::CertificateRenewalWindowFetched { .. } => "certificate-window-fetched",
            Self::CertificateOrderFailed { .. } | Self::CertificateInstalled(_) => "certificate-order-ended",
        };
        event_id_for(job_id, step)
    }
}

/// Where a certificate is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Never requested.
    #[default]
    New,
    /// An order is under way (the first issuance or a renewal).
    Ordering,
    /// Issued; its installation is under way.
    Issued,
    /// Installed and served.
    Installed,
    /// The last order failed; the next try waits for its backoff.
    Failed,
    /// Deleted.
    Deleted,
}

impl CertificateStatus {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Ordering => "ordering",
            Self::Issued => "issued",
            Self::Installed => "installed",
            Self::Failed => "failed",
            Self::Deleted => "deleted",
        }
    }

    /// Whether an order is under way: a renewal now needs to be forced.
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Ordering | Self::Issued)
    }
}
