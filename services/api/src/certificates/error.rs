//! Why a certificates command or request failed, and what that means for the one who asked ([`Problem`]: the
//! HTTP layer turns the kind into a status).

use lawha_domain::{
    Message,
    certificates::{CertificateRejection, certificate_invalid},
};
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};

use super::messages;
use crate::http::error::{Kind, Problem};

/// Why a certificates command failed.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// No live certificate with this id (or a path segment that is not an id, kept as sent).
    #[error("no certificate {0}")]
    Missing(String),
    /// The certificate's input has problems; each names its field.
    #[error("the certificate is invalid: {}", certificate_invalid(.0))]
    Invalid(Vec<(String, Message)>),
    /// The certificate's rules refused it.
    #[error(transparent)]
    Rejected(#[from] CertificateRejection),
    /// The append failed (a concurrent change is a `Conflict`).
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CertError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl CertError {
    /// A missing certificate named by what was asked for.
    pub fn missing(id: &dyn std::fmt::Display) -> Self {
        Self::Missing(crate::http::input::shown(&id.to_string()))
    }
}

impl Problem for CertError {
    fn kind(&self) -> Kind {
        match self {
            Self::Missing(_) | Self::Rejected(CertificateRejection::NotFound | CertificateRejection::Deleted) => {
                Kind::NotFound
            }
            Self::Invalid(_) | Self::Rejected(CertificateRejection::Invalid(_)) => Kind::Invalid,
            Self::Rejected(_) => Kind::Conflict,
            Self::Append(e) => e.kind(),
            Self::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) | Self::Rejected(CertificateRejection::NotFound | CertificateRejection::Deleted) => {
                "not_found"
            }
            Self::Invalid(_) | Self::Rejected(CertificateRejection::Invalid(_)) => "invalid_input",
            Self::Rejected(_) => "conflict",
            Self::Append(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::Missing(id) => messages::certificate_missing(id),
            Self::Invalid(problems) => certificate_invalid(problems),
            Self::Rejected(rejection) => rejection.message(),
            Self::Append(e) => e.message(),
            Self::Store(e) => e.message(),
        }
    }

    /// Every problem of an invalid certificate under `fields` and `problems`, as the other capabilities give them.
    fn details(&self) -> Value {
        match self {
            Self::Invalid(problems) => crate::http::error::field_problems(problems),
            Self::Rejected(rejection @ CertificateRejection::Invalid(_)) => {
                crate::http::error::field_problems(rejection.field_problems())
            }
            Self::Append(e) => e.details(),
            _ => json!({}),
        }
    }
}
