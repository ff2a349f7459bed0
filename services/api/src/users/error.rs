//! Why a users command failed, and what that means for the one who asked ([`Problem`]: the HTTP layer turns the
//! kind into a status).

use lawha_domain::{Message, users::UserRejection};
use lawha_store::{AppendError, StoreError};
use serde_json::Value;

use super::messages;
use crate::http::error::{Kind, Problem};

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Bad input, with a message for the person who typed it.
    #[error("{0}")]
    Invalid(Message),
    /// The rules refused it.
    #[error(transparent)]
    Rejected(#[from] UserRejection),
    /// The append failed (a concurrent change is a `Conflict`).
    #[error(transparent)]
    Append(#[from] AppendError),
    /// A two-factor code that is wrong, expired or already used.
    #[error("the code is wrong, expired or already used")]
    WrongCode,
    /// The current password given was wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The change would leave no administrator.
    #[error("the last administrator cannot lose the admin role; make another user admin first")]
    LastAdmin,
    /// Another demotion is being recorded and must be seen before this one is decided.
    #[error("another role change is being recorded; try again in a moment")]
    RoleChangeInProgress,
    /// Too many wrong current passwords: wait this many seconds.
    #[error("too many wrong passwords; try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds until the next check is accepted.
        retry_after_secs: i64,
    },
    /// Too many password checks running and waiting.
    #[error(transparent)]
    Busy(#[from] super::hashing::Busy),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for UserError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Problem for UserError {
    fn kind(&self) -> Kind {
        match self {
            Self::Invalid(_) | Self::Rejected(UserRejection::InvalidToken(_)) | Self::WrongCode => Kind::Invalid,
            Self::WrongPassword => Kind::Forbidden,
            Self::Rejected(UserRejection::NotFound | UserRejection::NoSuchToken) => Kind::NotFound,
            Self::LastAdmin | Self::RoleChangeInProgress | Self::Rejected(_) => Kind::Conflict,
            Self::Throttled { .. } => Kind::TooMany,
            Self::Busy(busy) => busy.kind(),
            Self::Append(e) => e.kind(),
            Self::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) | Self::Rejected(UserRejection::InvalidToken(_)) => "invalid_input",
            Self::WrongCode => "wrong_code",
            Self::WrongPassword => "wrong_password",
            Self::LastAdmin => "last_admin",
            Self::RoleChangeInProgress => "role_change_in_progress",
            Self::Throttled { .. } => "locked_out",
            Self::Busy(busy) => busy.code(),
            Self::Rejected(UserRejection::NotFound | UserRejection::NoSuchToken) => "not_found",
            Self::Rejected(UserRejection::AlreadyExists) => "already_exists",
            Self::Rejected(_) => "conflict",
            Self::Append(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::Invalid(message) => message.clone(),
            Self::Rejected(rejection) => rejection.message(),
            Self::WrongCode => messages::wrong_code(),
            Self::WrongPassword => messages::wrong_password(),
            Self::LastAdmin => messages::last_admin(),
            Self::RoleChangeInProgress => messages::role_change_in_progress(),
            Self::Throttled { retry_after_secs } => messages::password_checks_throttled(*retry_after_secs),
            Self::Busy(busy) => busy.message(),
            Self::Append(e) => e.message(),
            Self::Store(e) => e.message(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::Append(e) => e.details(),
            Self::Throttled { retry_after_secs } => serde_json::json!({ "retry_after_secs": retry_after_secs }),
            _ => Value::Object(serde_json::Map::new()),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Throttled { retry_after_secs } => u64::try_from(*retry_after_secs).ok(),
            Self::Busy(busy) => busy.retry_after(),
            Self::RoleChangeInProgress => Some(1),
            _ => None,
        }
    }
}
