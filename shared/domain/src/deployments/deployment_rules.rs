//! The deployment's rules: a request once, then the worker's facts strictly in the order of the steps, nothing
//! after the deployment succeeded or failed.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Colour, checks,
    deployment::{DeploymentEvent, DeploymentStatus, LOG_TAIL_MAX_BYTES, Step, Trigger, tail},
    messages,
};
use crate::aggregate::Aggregate;
use crate::message::Message;

/// What a caller (the API, the webhook, a worker) asks of a deployment.
#[derive(Debug, Clone)]
pub enum DeploymentCommand {
    /// Ask for a deployment of a site.
    Request {
        /// The deployment's id.
        deployment_id: Uuid,
        /// The site.
        site_id: Uuid,
        /// The site's host.
        host: String,
        /// The commit, or None for the branch head.
        commit: Option<String>,
        /// Who or what asks.
        trigger: Trigger,
    },
    /// A worker records a fact of its step (fetched … succeeded, or failed).
    Record(DeploymentEvent),
}

/// Why a deployment command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeploymentRejection {
    /// Request on an existing deployment.
    #[error("the deployment already exists")]
    AlreadyExists,
    /// A fact on a deployment that was never requested.
    #[error("no such deployment")]
    NotFound,
    /// A commit that is not 40 lowercase hexadecimal digits.
    #[error("{0:?} is not a commit (40 lowercase hexadecimal digits)")]
    CommitInvalid(String),
    /// The worker fetched another commit than the one asked for.
    #[error("the deployment asked for {requested}, the worker fetched {fetched}")]
    CommitMismatch {
        /// The commit asked for.
        requested: String,
        /// The commit fetched.
        fetched: String,
    },
    /// A fact that is not the next step.
    #[error("{fact} does not follow a deployment that is {status}")]
    OutOfOrder {
        /// The refused fact's type name.
        fact: &'static str,
        /// The deployment's status.
        status: &'static str,
    },
    /// A fact after the deployment succeeded or failed.
    #[error("the deployment has ended ({0}); nothing more is recorded")]
    Ended(&'static str),
    /// A switch to another colour than the release was started on.
    #[error("the release was started on {}, not {}", started.as_str(), switched.as_str())]
    ColourMismatch {
        /// The colour started.
        started: Colour,
        /// The colour of the refused switch.
        switched: Colour,
    },
    /// A worker tried to record a request.
    #[error("{0} is not a worker's fact")]
    NotAFact(&'static str),
}

impl DeploymentRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::deployment_exists(),
            Self::NotFound => messages::deployment_not_found(),
            Self::CommitInvalid(commit) => messages::commit_invalid(commit),
            Self::CommitMismatch { requested, fetched } => messages::commit_mismatch(requested, fetched),
            Self::OutOfOrder { fact, status } => messages::fact_out_of_order(*fact, *status),
            Self::Ended(status) => messages::deployment_ended(*status),
            Self::ColourMismatch { started, switched } => {
                messages::colour_mismatch(started.as_str(), switched.as_str())
            }
            Self::NotAFact(event_type) => messages::not_a_fact(*event_type),
        }
    }
}

/// A deployment as its events leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deployment {
    /// The deployment and its site, once requested.
    pub ids: Option<(Uuid, Uuid)>,
    /// Where it is.
    pub status: DeploymentStatus,
    /// Who or what asked for it.
    pub trigger: Option<Trigger>,
    /// The commit asked for (None: the branch head).
    pub requested_commit: Option<String>,
    /// The commit fetched.
    pub commit: Option<String>,
    /// The release built, or the one a rollback serves again.
    pub release_id: Option<Uuid>,
    /// The colour the release was started on.
    pub colour: Option<Colour>,
    /// The step it failed at.
    pub failed_step: Option<Step>,
    /// The last fact, so a worker recording it again records nothing.
    last: Option<DeploymentEvent>,
}

impl Aggregate for Deployment {
    const CATEGORY: &'static str = "deployment";
    type Command = DeploymentCommand;
    type Event = DeploymentEvent;
    type Rejection = DeploymentRejection;

    fn apply(mut self, event: &DeploymentEvent) -> Self {
        match event {
            DeploymentEvent::DeploymentRequested { deployment_id, site_id, commit, trigger, .. } => {
                self.ids = Some((*deployment_id, *site_id));
                self.requested_commit.clone_from(commit);
                self.trigger = Some(trigger.clone());
                if let Trigger::Rollback { release_id } = trigger {
                    self.release_id = Some(*release_id);
                }
            }
            DeploymentEvent::DeploymentFetched { commit } => {
                (self.status, self.commit) = (DeploymentStatus::Fetched, Some(commit.clone()));
            }
            DeploymentEvent::DeploymentBuilt { release_id } => {
                (self.status, self.release_id) = (DeploymentStatus::Built, Some(*release_id));
            }
            DeploymentEvent::DeploymentStarted { colour } => {
                (self.status, self.colour) = (DeploymentStatus::Started, Some(*colour));
            }
            DeploymentEvent::DeploymentHealthPassed {} => self.status = DeploymentStatus::HealthPassed,
            DeploymentEvent::DeploymentSwitched { .. } => self.status = DeploymentStatus::Switched,
            DeploymentEvent::DeploymentDrained {} => self.status = DeploymentStatus::Drained,
            DeploymentEvent::DeploymentSucceeded {} => self.status = DeploymentStatus::Succeeded,
            DeploymentEvent::DeploymentFailed { step, .. } => {
                (self.status, self.failed_step) = (DeploymentStatus::Failed, Some(*step));
            }
        }
        self.last = Some(event.clone());
        self
    }

    fn decide(
        &self,
        command: &DeploymentCommand,
        _now: DateTime<Utc>,
    ) -> Result<Vec<DeploymentEvent>, DeploymentRejection> {
        match command {
            DeploymentCommand::Request { deployment_id, site_id, host, commit, trigger } => {
                if self.ids.is_some() {
                    return Err(DeploymentRejection::AlreadyExists);
                }
                if let Some(commit) = commit.as_ref().filter(|c| !checks::is_commit(c)) {
                    return Err(DeploymentRejection::CommitInvalid(commit.clone()));
                }
                Ok(vec![DeploymentEvent::DeploymentRequested {
                    deployment_id: *deployment_id,
                    site_id: *site_id,
                    host: host.clone(),
                    commit: commit.clone(),
                    trigger: trigger.clone(),
                }])
            }
            DeploymentCommand::Record(_) if self.ids.is_none() => Err(DeploymentRejection::NotFound),
            DeploymentCommand::Record(event) => self.record(event),
        }
    }
}

impl Deployment {
    /// The deployment's site, once requested.
    pub fn site_id(&self) -> Option<Uuid> {
        self.ids.map(|(_, site)| site)
    }

    /// Whether it was requested and has not ended: a push now joins the one follow-up that waits for it.
    pub fn is_active(&self) -> bool {
        self.ids.is_some() && !self.status.is_terminal()
    }

    /// Whether it serves a release kept on disk again, so nothing is fetched or built.
    pub fn is_rollback(&self) -> bool {
        matches!(self.trigger, Some(Trigger::Rollback { .. }))
    }

    /// The step the worker is to do next; None once drained (only success is due) or ended.
    pub fn due_step(&self) -> Option<Step> {
        match self.status {
            DeploymentStatus::Requested if self.is_rollback() => Some(Step::Start),
            DeploymentStatus::Requested => Some(Step::Fetch),
            DeploymentStatus::Fetched => Some(Step::Build),
            DeploymentStatus::Built => Some(Step::Start),
            DeploymentStatus::Started => Some(Step::Health),
            DeploymentStatus::HealthPassed => Some(Step::Switch),
            DeploymentStatus::Switched => Some(Step::Drain),
            DeploymentStatus::Drained | DeploymentStatus::Succeeded | DeploymentStatus::Failed => None,
        }
    }

    /// A worker's fact: the same fact as the last one again records nothing (a redelivered job); otherwise it
    /// must be the due step's, and nothing follows success or failure.
    fn record(&self, event: &DeploymentEvent) -> Result<Vec<DeploymentEvent>, DeploymentRejection> {
        let fact = match event {
            DeploymentEvent::DeploymentRequested { .. } => {
                return Err(DeploymentRejection::NotAFact("DeploymentRequested"));
            }
            DeploymentEvent::DeploymentFailed { step, reason, log_tail } => DeploymentEvent::DeploymentFailed {
                step: *step,
                reason: reason.clone(),
                log_tail: tail(log_tail, LOG_TAIL_MAX_BYTES).to_owned(),
            },
            other => other.clone(),
        };
        if self.last.as_ref() == Some(&fact) {
            return Ok(Vec::new());
        }
        if self.status.is_terminal() {
            return Err(DeploymentRejection::Ended(self.status.as_str()));
        }
        let out_of_order = DeploymentRejection::OutOfOrder { fact: fact.type_name(), status: self.status.as_str() };
        let due = self.due_step();
        let in_order = match &fact {
            // Refused above, before anything else.
            DeploymentEvent::DeploymentRequested { .. } => false,
            DeploymentEvent::DeploymentFetched { commit } => {
                if due != Some(Step::Fetch) {
                    return Err(out_of_order);
                }
                if !checks::is_commit(commit) {
                    return Err(DeploymentRejection::CommitInvalid(commit.clone()));
                }
                if let Some(requested) = self.requested_commit.as_ref().filter(|r| *r != commit) {
                    return Err(DeploymentRejection::CommitMismatch {
                        requested: requested.clone(),
                        fetched: commit.clone(),
                    });
                }
                true
            }
            DeploymentEvent::DeploymentBuilt { .. } => due == Some(Step::Build),
            DeploymentEvent::DeploymentStarted { .. } => due == Some(Step::Start),
            DeploymentEvent::DeploymentHealthPassed {} => due == Some(Step::Health),
            DeploymentEvent::DeploymentSwitched { colour } => {
                if due != Some(Step::Switch) {
                    return Err(out_of_order);
                }
                match self.colour {
                    Some(started) if started != *colour => {
                        return Err(DeploymentRejection::ColourMismatch { started, switched: *colour });
                    }
                    _ => true,
                }
            }
            DeploymentEvent::DeploymentDrained {} => due == Some(Step::Drain),
            DeploymentEvent::DeploymentSucceeded {} => self.status == DeploymentStatus::Drained,
            DeploymentEvent::DeploymentFailed { step, .. } => due == Some(*step),
        };
        if in_order { Ok(vec![fact]) } else { Err(out_of_order) }
    }
}
