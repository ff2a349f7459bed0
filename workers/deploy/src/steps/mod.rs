//! One attempt at a deployment: from its due step to its end. Each step is an engine call (`fetch.rs`: fetch and
//! build; `serve.rs`: start, health, switch and drain) whose success is recorded as the step's fact before the
//! next step begins, so an attempt that dies leaves the deployment at the step to do again. After the drain the
//! old releases are pruned and the deployment succeeds.
//!
//! A failed step is recorded as `DeploymentFailed` naming it, with the engine's reason and output; the colour
//! this deployment started is stopped first unless it serves (the live colour is never touched), and the job
//! fails for good. Only the database's failures are retried.

mod fetch;
mod serve;

pub(crate) use fetch::remove_stale_keys;

use chrono::{DateTime, Utc};
use lawha_domain::{
    Message,
    deployments::{Colour, Deployment, DeploymentEvent, DeploymentStatus, Step},
    event_id_for,
};
use lawha_jobs::runtime::{JobContext, JobError};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use crate::{
    Deps,
    engine::{EngineError, IoAction},
    messages, record,
    target::{self, Target},
};

/// Why a step did not succeed.
#[derive(Debug)]
pub enum StepError {
    /// The step failed: the deployment records it and ends.
    Failed {
        /// What people read.
        reason: Message,
        /// The step's last output (the tool's, or the app's).
        log_tail: String,
    },
    /// The database failed (or the stream cannot be read): the job's error, retried when it may help.
    Job(JobError),
}

impl StepError {
    /// A failure without output.
    pub fn failed(reason: Message) -> Self {
        Self::Failed { reason, log_tail: String::new() }
    }
}

impl From<EngineError> for StepError {
    fn from(error: EngineError) -> Self {
        Self::Failed { reason: error.message(), log_tail: error.output().join("\n") }
    }
}

impl From<JobError> for StepError {
    fn from(error: JobError) -> Self {
        Self::Job(error)
    }
}

/// One attempt at one deployment.
#[derive(Debug)]
pub struct Attempt<'a> {
    /// What the handler shares.
    deps: &'a Deps,
    /// The job.
    ctx: &'a JobContext,
    /// The deployment's log (forwarded into the job's).
    log: &'a UnboundedSender<Message>,
    /// The deployment.
    deployment_id: Uuid,
    /// Its site.
    site_id: Uuid,
    /// The deployment as its facts leave it, updated as this attempt records more.
    state: Deployment,
    /// When it was asked for, for its duration.
    requested_at: DateTime<Utc>,
    /// The colour this attempt started, stopped again when the deployment fails before it serves.
    started: Option<Colour>,
}

impl<'a> Attempt<'a> {
    /// An attempt at `state`, a deployment of `site_id` that has not ended.
    pub fn new(
        deps: &'a Deps,
        ctx: &'a JobContext,
        log: &'a UnboundedSender<Message>,
        (deployment_id, site_id): (Uuid, Uuid),
        state: Deployment,
        requested_at: DateTime<Utc>,
    ) -> Self {
        Self { deps, ctx, log, deployment_id, site_id, state, requested_at, started: None }
    }

    /// Runs every step from the due one, then succeeds; or records the failure.
    pub async fn run(mut self) -> Result<Value, JobError> {
        let target = match target::load(self.deps, self.site_id).await {
            Ok(target) => target,
            Err(StepError::Job(error)) => return Err(error),
            Err(StepError::Failed { reason, log_tail }) => {
                return match self.state.due_step() {
                    Some(step) => self.fail(None, step, reason, log_tail).await,
                    // Drained already: only success is due, and there is no site left to prune releases of.
                    None => self.succeed(None).await,
                };
            }
        };
        if let Some(step) = self.state.due_step().filter(|_| self.state.status != DeploymentStatus::Requested) {
            self.say(messages::resuming(step.as_str()));
        }
        while let Some(step) = self.state.due_step() {
            let fact = match self.step(step, &target).await {
                Ok(fact) => fact,
                Err(StepError::Job(error)) => return Err(error),
                Err(StepError::Failed { reason, log_tail }) => {
                    return self.fail(Some(&target), step, reason, log_tail).await;
                }
            };
            match record::fact(&self.deps.db, self.ctx, self.deployment_id, fact).await? {
                Some(state) => self.state = state,
                None => return Ok(self.output("refused")),
            }
        }
        self.succeed(Some(&target)).await
    }

    async fn step(&mut self, step: Step, target: &Target) -> Result<DeploymentEvent, StepError> {
        match step {
            Step::Fetch => self.fetch(target).await,
            Step::Build => self.build(target).await,
            Step::Start => self.start(target).await,
            Step::Health => self.health(target).await,
            Step::Switch => self.switch(target).await,
            Step::Drain => self.drain(target).await,
        }
    }

    /// Prunes the site's old releases (a failure is only logged) and records the success.
    async fn succeed(&mut self, target: Option<&Target>) -> Result<Value, JobError> {
        if let (Some(target), Some(release)) = (target, self.state.release_id) {
            let keep = usize::try_from(target.spec.releases_to_keep).unwrap_or(usize::MAX);
            let release = release.to_string();
            if let Err(e) = self.deps.releases.prune(&target.spec.name, keep, &[release.as_str()], self.log).await {
                self.say(messages::prune_failed(e.message()));
            }
        }
        let recorded =
            record::fact(&self.deps.db, self.ctx, self.deployment_id, DeploymentEvent::DeploymentSucceeded {}).await?;
        let Some(state) = recorded else { return Ok(self.output("refused")) };
        self.state = state;
        self.ended("succeeded");
        self.say(messages::succeeded(self.colour().as_str()));
        Ok(self.output("succeeded"))
    }

    /// Stops what this deployment started unless it serves, records the failure, and fails the job for good.
    async fn fail(
        &mut self,
        target: Option<&Target>,
        step: Step,
        reason: Message,
        log_tail: String,
    ) -> Result<Value, JobError> {
        self.say(messages::failed(step.as_str(), reason.clone()));
        if let Some(target) = target
            && matches!(step, Step::Start | Step::Health | Step::Switch)
            && let Some(colour) = self.started.or(self.state.colour)
        {
            self.stop_unless_live(target, colour).await;
        }
        let failed = DeploymentEvent::DeploymentFailed { step, reason: reason.clone(), log_tail };
        if let Some(state) = record::fact(&self.deps.db, self.ctx, self.deployment_id, failed).await? {
            self.state = state;
            self.ended("failed");
        }
        Err(JobError::Permanent(reason))
    }

    /// Counts the deployment's end and its duration from its request.
    fn ended(&self, outcome: &'static str) {
        metrics::counter!("lawha_deployments_total", "outcome" => outcome).increment(1);
        let seconds = (Utc::now() - self.requested_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!("lawha_deployment_duration_seconds").record(seconds);
    }

    /// Sends a line to the deployment's log.
    fn say(&self, line: Message) {
        let _ = self.log.send(line);
    }

    /// The job's result.
    fn output(&self, outcome: &str) -> Value {
        json!({
            "deployment_id": self.deployment_id,
            "outcome": outcome,
            "status": self.state.status.as_str(),
            "commit": self.state.commit,
            "release_id": self.state.release_id,
            "colour": self.state.colour.map(Colour::as_str),
        })
    }

    /// The colour the release was started on (recorded by `DeploymentStarted`, which every later step follows).
    fn colour(&self) -> Colour {
        self.state.colour.unwrap_or(Colour::Blue)
    }

    /// The release this deployment serves: the rollback's, the one built, or the one this job fetches into (its
    /// id derived from the job, so every attempt of the job finds the same folder).
    fn release_id(&self) -> Uuid {
        self.state.release_id.unwrap_or_else(|| event_id_for(self.ctx.job.id, "release"))
    }

    /// The release's folder, which must be there.
    async fn release_dir(&self, target: &Target) -> Result<std::path::PathBuf, StepError> {
        let dir = self.deps.releases.path(&target.spec.name, &self.release_id().to_string())?;
        match tokio::fs::try_exists(&dir).await {
            Ok(true) => Ok(dir),
            Ok(false) => Err(StepError::failed(messages::release_missing(&dir))),
            Err(e) => Err(EngineError::io(IoAction::Read, &dir, e).into()),
        }
    }
}
