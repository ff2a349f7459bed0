//! Why a deployments command or request failed, and what that means for the one who asked ([`Problem`]: the
//! HTTP layer turns the kind into a status).

use lawha_domain::{
    Message,
    deployments::{DeploymentRejection, SiteRejection, site_invalid, webhook::SignatureProblem},
};
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};

use super::messages;
use crate::http::error::{Kind, Problem};

/// Why a deployments command failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// No live site with this id (or a path segment that is not an id, kept as sent).
    #[error("no site {0}")]
    SiteMissing(String),
    /// No deployment with this id.
    #[error("no deployment {0}")]
    DeploymentMissing(String),
    /// The site's input has problems; each names its field.
    #[error("the site is invalid: {}", site_invalid(.0))]
    Invalid(Vec<(String, Message)>),
    /// A webhook delivery whose signature was refused.
    #[error("{0}")]
    Signature(SignatureProblem),
    /// A webhook delivery that is not what GitHub sends.
    #[error("{0}")]
    Delivery(Message),
    /// A secret of the site could not be opened.
    #[error("a secret of the site cannot be opened")]
    SecretUnreadable,
    /// The site's rules refused it.
    #[error(transparent)]
    Site(#[from] SiteRejection),
    /// The deployment's rules refused it.
    #[error(transparent)]
    Deployment(#[from] DeploymentRejection),
    /// The append failed (a concurrent change is a `Conflict`).
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DeployError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl DeployError {
    /// A missing site named by what was asked for.
    pub fn site_missing(id: &dyn std::fmt::Display) -> Self {
        Self::SiteMissing(crate::http::input::shown(&id.to_string()))
    }
}

impl Problem for DeployError {
    fn kind(&self) -> Kind {
        match self {
            Self::SiteMissing(_) | Self::DeploymentMissing(_) => Kind::NotFound,
            Self::Site(SiteRejection::NotFound | SiteRejection::Deleted) => Kind::NotFound,
            Self::Deployment(DeploymentRejection::NotFound) => Kind::NotFound,
            Self::Invalid(_) | Self::Site(SiteRejection::Invalid(_)) => Kind::Invalid,
            Self::Deployment(DeploymentRejection::CommitInvalid(_)) => Kind::Invalid,
            Self::Signature(_) => Kind::Unauthorized,
            Self::Delivery(_) => Kind::BadRequest,
            Self::SecretUnreadable => Kind::Internal,
            Self::Site(_) | Self::Deployment(_) => Kind::Conflict,
            Self::Append(e) => e.kind(),
            Self::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::SiteMissing(_) | Self::DeploymentMissing(_) => "not_found",
            Self::Site(SiteRejection::NotFound | SiteRejection::Deleted) => "not_found",
            Self::Deployment(DeploymentRejection::NotFound) => "not_found",
            Self::Invalid(_) | Self::Site(SiteRejection::Invalid(_)) => "invalid_input",
            Self::Deployment(DeploymentRejection::CommitInvalid(_)) => "invalid_input",
            Self::Signature(_) => "bad_signature",
            Self::Delivery(_) => "bad_delivery",
            Self::SecretUnreadable => "internal",
            Self::Site(_) | Self::Deployment(_) => "conflict",
            Self::Append(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::SiteMissing(id) => messages::site_missing(id),
            Self::DeploymentMissing(id) => messages::deployment_missing(id),
            Self::Invalid(problems) => site_invalid(problems),
            Self::Signature(problem) => problem.message(),
            Self::Delivery(message) => message.clone(),
            Self::SecretUnreadable => messages::secret_unreadable(),
            Self::Site(rejection) => rejection.message(),
            Self::Deployment(rejection) => rejection.message(),
            Self::Append(e) => e.message(),
            Self::Store(e) => e.message(),
        }
    }

    /// Every problem of an invalid site under `fields` (English text by field) and `problems` (code and
    /// arguments), as the backups API gives them.
    fn details(&self) -> Value {
        match self {
            Self::Invalid(problems) => crate::http::error::field_problems(problems),
            Self::Site(SiteRejection::Invalid(problems)) => {
                let named: Vec<(&str, Message)> =
                    problems.iter().map(|(f, m)| (super::input::api_field(f), m.clone())).collect();
                crate::http::error::field_problems(&named)
            }
            Self::Append(e) => e.details(),
            _ => json!({}),
        }
    }
}
