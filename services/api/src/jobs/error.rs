//! Why a job command or a request of the jobs API failed, and what that means for the one who asked
//! ([`Problem`]: the HTTP layer turns the kind into a status).

use lawha_domain::{Message, jobs::JobRejection};
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};

use super::messages;
use crate::http::error::{Kind, Problem};

/// Why a job command failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No job has this id (or the id is not one).
    #[error("no job {0}")]
    NotFound(String),
    /// The job's rules refused it (not failed or dead, never queued…).
    #[error(transparent)]
    Rejected(#[from] JobRejection),
    /// The request's data would not make a job; the message says why.
    #[error("{0}")]
    Invalid(Message),
    /// A query parameter of the list or the log is refused; `valid` lists what is.
    #[error("{message}")]
    InvalidQuery {
        /// The parameter.
        parameter: String,
        /// What is wrong.
        message: Message,
        /// The valid values, when there is a list of them.
        valid: Vec<&'static str>,
    },
    /// A rebuild was asked for a projection that does not exist.
    #[error("no projection named {name:?}; known: {}", known.join(", "))]
    UnknownProjection {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<&'static str>,
    },
    /// The asker lacks the power the job's own request needed.
    #[error("retrying a {kind} job needs the {} level{}", needed.level, if needed.interactive { " and a signed-in session" } else { "" })]
    RetryForbidden {
        /// The job's kind.
        kind: String,
        /// What a retry of it needs.
        needed: super::commands::Power,
    },
    /// The append failed (a concurrent change is a `Conflict`).
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Problem for JobError {
    fn kind(&self) -> Kind {
        match self {
            Self::NotFound(_) | Self::UnknownProjection { .. } => Kind::NotFound,
            Self::Invalid(_) => Kind::Invalid,
            Self::InvalidQuery { .. } => Kind::BadRequest,
            Self::Rejected(_) => Kind::Conflict,
            Self::RetryForbidden { .. } => Kind::Forbidden,
            Self::Append(e) => e.kind(),
            Self::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) | Self::UnknownProjection { .. } => "not_found",
            Self::Invalid(_) => "invalid_input",
            Self::InvalidQuery { .. } => "invalid_query",
            Self::RetryForbidden { needed, .. } if needed.interactive => "session_required",
            Self::RetryForbidden { .. } => "forbidden",
            Self::Rejected(JobRejection::NotRetryable { .. }) => "not_retryable",
            Self::Rejected(JobRejection::NeverQueued { .. }) => "never_queued",
            Self::Rejected(JobRejection::Ended { .. } | JobRejection::Stale { .. }) => "conflict",
            Self::Append(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::NotFound(id) => messages::not_found(crate::http::input::shown(id)),
            Self::Rejected(rejection) => rejection.message(),
            Self::Invalid(message) | Self::InvalidQuery { message, .. } => message.clone(),
            Self::UnknownProjection { name, known } => {
                messages::unknown_projection(crate::http::input::shown(name), known.join(", "))
            }
            Self::RetryForbidden { kind, needed } if needed.interactive => {
                messages::retry_needs_session(kind, needed.level.to_string())
            }
            Self::RetryForbidden { kind, needed } => messages::retry_needs_level(kind, needed.level.to_string()),
            Self::Append(e) => e.message(),
            Self::Store(e) => e.message(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::InvalidQuery { parameter, valid, .. } => json!({ "parameter": parameter, "valid": valid }),
            Self::UnknownProjection { known, .. } => json!({ "known": known }),
            Self::Append(e) => e.details(),
            _ => json!({}),
        }
    }
}
