//! The coalescing of pushes: one deployment of a site runs at a time, and the pushes that arrive meanwhile make
//! one follow-up of the newest commit, not one deployment each.

use uuid::Uuid;

use super::{Deployment, DeploymentCommand, Trigger};

/// A site's deployment that has not ended, as the coalescing rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveDeployment {
    /// The deployment.
    pub deployment_id: Uuid,
    /// The commit it deploys, when known (asked for, or fetched); None while the branch head is not fetched yet.
    pub commit: Option<String>,
}

impl Deployment {
    /// The deployment as [`coalesce`] sees it, while it is active.
    pub fn active(&self) -> Option<ActiveDeployment> {
        let (deployment_id, _) = self.ids.filter(|_| self.is_active())?;
        Some(ActiveDeployment { deployment_id, commit: self.commit.clone().or_else(|| self.requested_commit.clone()) })
    }
}

/// What to do with the pushes that arrived for a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushDecision {
    /// Nothing runs: request a deployment of this commit now.
    StartNow {
        /// The newest commit pushed.
        commit: String,
    },
    /// A deployment runs: once it has ended, request one deployment of this commit (trigger
    /// [`Trigger::FollowUp`]). It replaces any follow-up decided before for the same deployment.
    FollowUp {
        /// The running deployment.
        after: Uuid,
        /// The newest commit pushed.
        commit: String,
    },
    /// Nothing to do: no push, or the running deployment deploys the newest commit already.
    Nothing,
}

/// Decides what the pushes of a site ask for, given its active deployment. `pushes` are the commits pushed to
/// the site's branch that no deployment has taken yet (a follow-up decided before included), in the order they
/// arrived: the last one is the newest, the one that is deployed; the others are skipped, since the newest
/// commit of a branch contains them (a force-push that dropped them wanted them gone).
pub fn coalesce<S: AsRef<str>>(active: Option<&ActiveDeployment>, pushes: &[S]) -> PushDecision {
    let Some(newest) = pushes.last().map(|c| c.as_ref().to_owned()) else { return PushDecision::Nothing };
    match active {
        None => PushDecision::StartNow { commit: newest },
        Some(running) if running.commit.as_deref() == Some(newest.as_str()) => PushDecision::Nothing,
        Some(running) => PushDecision::FollowUp { after: running.deployment_id, commit: newest },
    }
}

impl PushDecision {
    /// The request this decision makes, as deployment `deployment_id` of a site on `host`: for
    /// [`PushDecision::StartNow`] with the push's trigger, for [`PushDecision::FollowUp`] with the follow-up's
    /// (to be decided once the running deployment has ended). None for [`PushDecision::Nothing`].
    pub fn request(&self, deployment_id: Uuid, site_id: Uuid, host: &str, push: Trigger) -> Option<DeploymentCommand> {
        let (commit, trigger) = match self {
            Self::StartNow { commit } => (commit, push),
            Self::FollowUp { after, commit } => (commit, Trigger::FollowUp { after: *after }),
            Self::Nothing => return None,
        };
        Some(DeploymentCommand::Request {
            deployment_id,
            site_id,
            host: host.to_owned(),
            commit: Some(commit.clone()),
            trigger,
        })
    }
}
