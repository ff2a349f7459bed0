//! Certificates: TLS certificates ordered from an ACME CA for a set of names, installed into a host's nginx and
//! renewed when the CA's renewal window (ARI, RFC 9773) or, without it, the certificate's lifetime says so.
//!
//! A certificate lives in `certificate-<id>`. `CertificateRequested` asks for the first issuance at once (the
//! dispatcher turns it into a job on `certificates.<host>`, like a deployment), and `CertificateRenewalRequested`
//! asks for every later order. The cert worker records what it found: the certificate issued (serial, validity,
//! issuer, fingerprint, order URL), the renewal window the CA suggests, the installation into nginx, or the step
//! an order failed at. A failure is a fact with its attempt number and the time of the next try, so a renewal
//! that keeps failing is seen long before the certificate expires.
//!
//! When to renew is a pure decision ([`renewal_due`]): inside the ARI window (at once when the window has
//! started or was moved into the past), else when a third of the lifetime is left, with an exponential backoff
//! after failures.
//!
//! Private keys never enter these events (invariant 8): the certificate's key is written by the worker next to
//! the chain and only its path is recorded; the ACME account's key belongs to the account, sealed at rest.

mod certificate;
mod checks;
pub mod messages;
mod rejection;
mod renewal;
mod rules;
mod spec;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use certificate::{CertificateEvent, CertificateStatus, Installation, Issuance, OrderStep, RenewalTrigger};
pub use checks::{
    DNS_HOOK_MAX_BYTES, MAX_NAMES, NAME_MAX_BYTES, is_email, is_ip_address, is_profile_name, is_sha256_fingerprint,
};
pub use rejection::CertificateRejection;
pub use renewal::{BACKOFF_BASE, BACKOFF_CAP, Decision, EXPIRY_MARGIN, Failure, Reason, Window, renewal_due, retry_at};
pub use rules::{Certificate, CertificateCommand};
pub use spec::{CertificateSpec, certificate_invalid};

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory: untrusted certificates, generous rate limits.
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// How the CA checks that we control a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Challenge {
    /// A file under `/.well-known/acme-challenge/` served by the host's nginx on port 80 (no wildcards).
    #[serde(rename = "http-01")]
    Http01,
    /// A TXT record at `_acme-challenge.<name>`, set and cleared by a command of the operator's.
    #[serde(rename = "dns-01")]
    Dns01 {
        /// The command, called with the name and the TXT value to set, then again to clear (like certbot's
        /// manual hooks).
        hook: String,
    },
}

impl Challenge {
    /// The name used in the API and by ACME.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 { .. } => "dns-01",
        }
    }
}

/// The ACME directory a certificate is ordered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Directory {
    /// Let's Encrypt's production CA.
    LetsEncrypt,
    /// Let's Encrypt's staging CA.
    LetsEncryptStaging,
    /// Any other ACME CA (a company's own, or pebble in tests).
    Custom {
        /// The directory URL: https, or http on a loopback address only.
        url: String,
        /// A PEM file of the root to trust for the directory's TLS (pebble's, a private CA's), as an absolute
        /// path on the certificate's host.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trusted_root: Option<String>,
    },
}

impl Directory {
    /// The directory's URL.
    pub fn url(&self) -> &str {
        match self {
            Self::LetsEncrypt => LETS_ENCRYPT,
            Self::LetsEncryptStaging => LETS_ENCRYPT_STAGING,
            Self::Custom { url, .. } => url,
        }
    }
}

/// The kind of the certificate's private key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyType {
    /// ECDSA on P-256: small, fast, served by every current client.
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// RSA with 2048 bits, for old clients.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
}

impl KeyType {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::Rsa2048 => "rsa-2048",
        }
    }
}
