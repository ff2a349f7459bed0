//! The facts of one deployment: its request, then what the deploy worker found at each step, in order.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Colour;
use crate::{aggregate::DomainEvent, event::event_id_for, message::Message};

/// The most bytes of a failed step's output kept in its fact; the whole output is in the job log.
pub const LOG_TAIL_MAX_BYTES: usize = 4096;

/// Who or what asked for a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A push to the site's branch, delivered by a GitHub webhook.
    Push {
        /// Who pushed (the payload's `pusher.name`).
        pusher: String,
        /// The delivery's GUID (`X-GitHub-Delivery`).
        delivery_id: String,
        /// The hook that delivered it (`X-GitHub-Hook-ID`); a delivery is unique per hook.
        hook_id: u64,
    },
    /// A person or a token, through the API or the UI.
    Manual {
        /// Who asked.
        actor: String,
    },
    /// A person asked to serve a release kept on disk again: nothing is fetched or built.
    Rollback {
        /// The release to serve.
        release_id: Uuid,
    },
    /// Pushes arrived while a deployment ran; this one deploys the newest of them once it has ended.
    FollowUp {
        /// The deployment during which they arrived.
        after: Uuid,
    },
}

/// A step of a deployment, in the order they happen; a failure names the one it happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Fetch the commit into a new release folder.
    Fetch,
    /// Run the build command in it.
    Build,
    /// Start the release on the idle colour.
    Start,
    /// Ask the health path until it answers.
    Health,
    /// Send traffic to the new colour.
    Switch,
    /// Stop the old colour once its requests are done.
    Drain,
}

impl Step {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::Build => "build",
            Self::Start => "start",
            Self::Health => "health",
            Self::Switch => "switch",
            Self::Drain => "drain",
        }
    }
}

/// What happened to a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DeploymentEvent {
    /// A deployment was asked for: the dispatcher queues a job on `deployments.<host>` whose id is this event's.
    DeploymentRequested {
        /// The deployment (also the stream's id).
        deployment_id: Uuid,
        /// The site to deploy.
        site_id: Uuid,
        /// The site's host when it was asked for: the queue the job travels on.
        host: String,
        /// The commit to deploy, or None for the head of the site's branch when the worker fetches.
        commit: Option<String>,
        /// Who or what asked.
        trigger: Trigger,
    },
    /// The commit is in a new release folder.
    DeploymentFetched {
        /// The commit fetched (the branch head's, when none was asked for).
        commit: String,
    },
    /// The build command succeeded.
    DeploymentBuilt {
        /// The release it made (the name of its folder).
        release_id: Uuid,
    },
    /// The release runs on a colour, beside the one that serves.
    DeploymentStarted {
        /// The colour it runs on.
        colour: Colour,
    },
    /// The new colour answered its health path.
    DeploymentHealthPassed {},
    /// Traffic goes to the new colour.
    DeploymentSwitched {
        /// The colour that serves now.
        colour: Colour,
    },
    /// The old colour finished its requests and was stopped (nothing to stop for a site's first release).
    DeploymentDrained {},
    /// The deployment is done: the new release serves.
    DeploymentSucceeded {},
    /// The deployment stopped at a step; the colour that served before still serves (unless the step was the
    /// drain, after the switch).
    DeploymentFailed {
        /// The step it stopped at.
        step: Step,
        /// Why (never a secret).
        reason: Message,
        /// The last output of the step, at most [`LOG_TAIL_MAX_BYTES`] (text that is data).
        log_tail: String,
    },
}

/// Every deployment fact is at schema 1 (the default): the reason of a failure was a message from the start.
impl DomainEvent for DeploymentEvent {}

impl DeploymentEvent {
    /// The stored type name (`DeploymentBuilt`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::DeploymentRequested { .. } => "DeploymentRequested",
            Self::DeploymentFetched { .. } => "DeploymentFetched",
            Self::DeploymentBuilt { .. } => "DeploymentBuilt",
            Self::DeploymentStarted { .. } => "DeploymentStarted",
            Self::DeploymentHealthPassed {} => "DeploymentHealthPassed",
            Self::DeploymentSwitched { .. } => "DeploymentSwitched",
            Self::DeploymentDrained {} => "DeploymentDrained",
            Self::DeploymentSucceeded {} => "DeploymentSucceeded",
            Self::DeploymentFailed { .. } => "DeploymentFailed",
        }
    }

    /// The id of a fact a worker records for `job_id`, derived so a redelivery records it once; a request gets
    /// a fresh id (it is the job's id).
    pub fn event_id(&self, job_id: Uuid) -> Uuid {
        let step = match self {
            Self::DeploymentRequested { .. } => return Uuid::now_v7(),
            Self::DeploymentFetched { .. } => "deployment-fetched",
            Self::DeploymentBuilt { .. } => "deployment-built",
            Self::DeploymentStarted { .. } => "deployment-started",
            Self::DeploymentHealthPassed {} => "deployment-health-passed",
            Self::DeploymentSwitched { .. } => "deployment-switched",
            Self::DeploymentDrained {} => "deployment-drained",
            Self::DeploymentSucceeded {} | Self::DeploymentFailed { .. } => "deployment-ended",
        };
        event_id_for(job_id, step)
    }
}

/// Where a deployment is: the last fact recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    /// Waiting for the worker of its host.
    #[default]
    Requested,
    /// The commit is fetched.
    Fetched,
    /// The release is built.
    Built,
    /// The release runs on the idle colour.
    Started,
    /// The release is healthy.
    HealthPassed,
    /// The release serves.
    Switched,
    /// The old colour is stopped.
    Drained,
    /// Done.
    Succeeded,
    /// Stopped at a step.
    Failed,
}

impl DeploymentStatus {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Fetched => "fetched",
            Self::Built => "built",
            Self::Started => "started",
            Self::HealthPassed => "health_passed",
            Self::Switched => "switched",
            Self::Drained => "drained",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Whether nothing can follow it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// The end of `text` that fits in `max` bytes, cut at a character boundary.
pub(super) fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
