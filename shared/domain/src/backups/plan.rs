//! The plan aggregate: created, changed, deleted. Runs refer to a plan by id and read the spec it had when
//! they started.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PlanSpec, messages};
use crate::aggregate::{Aggregate, DomainEvent};
use crate::message::Message;

/// What happened to a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PlanEvent {
    /// A plan was created.
    BackupPlanCreated {
        /// Its id (also the stream's).
        plan_id: Uuid,
        /// What it says.
        spec: PlanSpec,
    },
    /// A plan was changed; the spec replaces the previous one.
    BackupPlanUpdated {
        /// What it says now.
        spec: PlanSpec,
    },
    /// A plan was deleted. Its archives stay where they are; its runs stay in the log.
    BackupPlanDeleted {},
}

impl DomainEvent for PlanEvent {}

/// What a caller asks of a plan.
#[derive(Debug, Clone)]
pub enum PlanCommand {
    /// Create the plan (the API checked the spec against the machine).
    Create {
        /// The new plan's id.
        plan_id: Uuid,
        /// Its spec.
        spec: PlanSpec,
    },
    /// Replace the spec.
    Update {
        /// The new spec.
        spec: PlanSpec,
    },
    /// Delete the plan.
    Delete,
}

/// Why a plan command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRejection {
    /// Create on an existing plan.
    #[error("the backup plan already exists")]
    AlreadyExists,
    /// Anything but Create on a plan that was never created.
    #[error("no such backup plan")]
    NotFound,
    /// Anything on a deleted plan.
    #[error("the backup plan was deleted")]
    Deleted,
    /// The spec breaks a rule; every problem with its field.
    #[error("the backup plan is invalid: {}", super::plan_invalid(.0))]
    Invalid(Vec<(&'static str, Message)>),
}

impl PlanRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::plan_exists(),
            Self::NotFound => messages::plan_not_found(),
            Self::Deleted => messages::plan_deleted(),
            Self::Invalid(problems) => super::plan_invalid(problems),
        }
    }
}

/// A plan as its events leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupPlan {
    /// Its id, once created.
    pub id: Option<Uuid>,
    /// Its current spec.
    pub spec: Option<PlanSpec>,
    /// Whether it was deleted.
    pub deleted: bool,
}

impl Aggregate for BackupPlan {
    const CATEGORY: &'static str = "backup_plan";
    type Command = PlanCommand;
    type Event = PlanEvent;
    type Rejection = PlanRejection;

    fn apply(mut self, event: &PlanEvent) -> Self {
        match event {
            PlanEvent::BackupPlanCreated { plan_id, spec } => {
                self.id = Some(*plan_id);
                self.spec = Some(spec.clone());
            }
            PlanEvent::BackupPlanUpdated { spec } => self.spec = Some(spec.clone()),
            PlanEvent::BackupPlanDeleted {} => self.deleted = true,
        }
        self
    }

    fn decide(&self, command: &PlanCommand, _now: DateTime<Utc>) -> Result<Vec<PlanEvent>, PlanRejection> {
        let check = |spec: &PlanSpec| {
            let problems = spec.problems();
            if problems.is_empty() { Ok(()) } else { Err(PlanRejection::Invalid(problems)) }
        };
        match command {
            PlanCommand::Create { plan_id, spec } => {
                if self.id.is_some() {
                    return Err(PlanRejection::AlreadyExists);
                }
                check(spec)?;
                Ok(vec![PlanEvent::BackupPlanCreated { plan_id: *plan_id, spec: spec.clone() }])
            }
            _ if self.id.is_none() => Err(PlanRejection::NotFound),
            _ if self.deleted => Err(PlanRejection::Deleted),
            PlanCommand::Update { spec } => {
                check(spec)?;
                if self.spec.as_ref() == Some(spec) {
                    return Ok(Vec::new());
                }
                Ok(vec![PlanEvent::BackupPlanUpdated { spec: spec.clone() }])
            }
            PlanCommand::Delete => Ok(vec![PlanEvent::BackupPlanDeleted {}]),
        }
    }
}
