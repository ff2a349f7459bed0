//! Why a backup command or request failed, and what that means for the one who asked ([`Problem`]: the HTTP
//! layer turns the kind into a status).

use lawha_domain::{
    Message,
    backups::{PlanRejection, RunRejection, messages as rules},
};
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

use super::messages;
use crate::http::error::{Kind, Problem};

/// Why a backup command failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupCommandError {
    /// No live plan with this id.
    #[error("no backup plan {0}")]
    PlanMissing(Uuid),
    /// No run with this id.
    #[error("no backup run {0}")]
    RunMissing(Uuid),
    /// A path segment that is not a plan's or run's id at all (kept as sent; clipped when shown).
    #[error("no backup plan or run {0:?}")]
    NotAnId(&'static str, String),
    /// The plan has problems; each names its field.
    #[error("the backup plan is invalid: {}", lawha_domain::backups::plan_invalid(.0))]
    Invalid(Vec<(String, Message)>),
    /// A restore's target is missing or malformed; `field` names it.
    #[error("{field}: {problem}")]
    InvalidTarget {
        /// `target`, `target.path` or `target.url`.
        field: &'static str,
        /// What is wrong.
        problem: Message,
    },
    /// The plan's rules refused it.
    #[error(transparent)]
    Plan(#[from] PlanRejection),
    /// The run's rules refused it.
    #[error(transparent)]
    Run(#[from] RunRejection),
    /// The append failed (a concurrent change is a `Conflict`).
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupCommandError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Problem for BackupCommandError {
    fn kind(&self) -> Kind {
        match self {
            Self::PlanMissing(_) | Self::RunMissing(_) | Self::NotAnId(..) => Kind::NotFound,
            Self::Plan(PlanRejection::NotFound) | Self::Run(RunRejection::NotFound) => Kind::NotFound,
            Self::Invalid(_) | Self::InvalidTarget { .. } | Self::Plan(PlanRejection::Invalid(_)) => Kind::Invalid,
            Self::Plan(_) | Self::Run(_) => Kind::Conflict,
            Self::Append(e) => e.kind(),
            Self::Store(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::PlanMissing(_) | Self::RunMissing(_) | Self::NotAnId(..) => "not_found",
            Self::Plan(PlanRejection::NotFound) | Self::Run(RunRejection::NotFound) => "not_found",
            Self::Invalid(_) | Self::InvalidTarget { .. } | Self::Plan(PlanRejection::Invalid(_)) => "invalid_input",
            Self::Run(RunRejection::NoArchive(_)) => "no_archive",
            Self::Plan(_) | Self::Run(_) => "conflict",
            Self::Append(e) => e.code(),
            Self::Store(e) => e.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::PlanMissing(id) => messages::plan_missing(*id),
            Self::RunMissing(id) => messages::run_missing(*id),
            Self::NotAnId("plan", text) => messages::plan_missing(crate::http::input::shown(text)),
            Self::NotAnId(_, text) => messages::run_missing(crate::http::input::shown(text)),
            Self::Invalid(problems) => lawha_domain::backups::plan_invalid(problems),
            Self::InvalidTarget { field, problem } => rules::field_problem(*field, problem.clone()),
            Self::Plan(rejection) => rejection.message(),
            Self::Run(rejection) => rejection.message(),
            Self::Append(e) => e.message(),
            Self::Store(e) => e.message(),
        }
    }

    /// Every problem of an invalid plan: `fields` maps each field to its English text, `problems` lists them as
    /// messages (code and arguments) for clients that show them in another language.
    fn details(&self) -> Value {
        match self {
            Self::Invalid(problems) => crate::http::error::field_problems(problems),
            Self::Append(e) => e.details(),
            _ => json!({}),
        }
    }
}
