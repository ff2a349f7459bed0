//! The steps that put a release in front of users: start it on the idle colour, wait for its health gate, switch
//! nginx to it, and after the drain stop the colour that served before.
//!
//! The live colour is the one the site's upstream file points at (what nginx serves, whatever any table says),
//! else the one the `sites` read model names, else none (the first deployment starts on blue); the idle colour is
//! the other one. A release that ends within [`SETTLE`] of its start fails the start step, with its own output.

use std::time::{Duration, Instant};

use lawha_domain::deployments::{Colour, DeploymentEvent};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::{Attempt, StepError};
use crate::{
    STOP_GRACE, colour_of,
    engine::{
        EngineError,
        command::Process,
        health::HealthGate,
        nginx,
        runtime::{AppInstance, AppRuntime, Stopped},
    },
    messages,
    target::Target,
    wait,
};

/// How long a started release is watched before the start counts as done: one that ends within it (a start
/// command that fails at once) fails the start step.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How many of an app's last lines a failure keeps.
const APP_TAIL_LINES: usize = 20;
/// How much of the end of an app's log is read for them.
const APP_TAIL_BYTES: u64 = 64 * 1024;

impl<'a> Attempt<'a> {
    /// The site's runtime.
    fn runtime(&self, target: &Target) -> &'a dyn AppRuntime {
        self.deps.runtime(target.spec.runtime)
    }

    /// The colour that serves the site now, if any.
    async fn live_colour(&self, target: &Target) -> Result<Option<Colour>, StepError> {
        let file = self.deps.upstream_file(&target.spec.name);
        if let Some(colour) = nginx::current_port(&file).await?.and_then(|port| colour_of(target.spec.ports, port)) {
            return Ok(Some(colour));
        }
        Ok(wait::live_colour(&self.deps.db.read_models, target.site_id).await?)
    }

    /// Start: the release on the idle colour (a Docker image is built from its folder first), watched for
    /// [`SETTLE`]. A rollback starts the release it names, whose commit its folder says.
    pub(super) async fn start(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let (name, runtime) = (target.spec.name.as_str(), self.runtime(target));
        if self.state.is_rollback() {
            self.say(messages::rolling_back(self.release_id()));
        }
        let colour = self.live_colour(target).await?.map_or(Colour::Blue, Colour::other);
        let dir = self.release_dir(target).await?;
        let commit = match &self.state.commit {
            Some(commit) => commit.clone(),
            None => Process::new("git", "git").args(["rev-parse", "HEAD"]).current_dir(&dir).output(self.log).await?,
        };
        let commit = commit.trim().to_owned();
        if target.spec.runtime == lawha_domain::deployments::Runtime::Docker {
            self.deps.docker.build(name, &commit, &dir, self.deps.build_timeout, self.log).await?;
        }
        let port = target.spec.ports.of(colour);
        self.say(messages::app_starting(colour.as_str(), port));
        self.started = Some(colour);
        let app = AppInstance {
            site: name.to_owned(),
            colour,
            commit,
            release_dir: dir,
            start_command: target.spec.start_command.clone(),
            port,
            env: target.env.clone(),
        };
        runtime.start(&app).await?;
        let watched = Instant::now();
        while watched.elapsed() < SETTLE {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if !runtime.is_running(name, colour).await {
                let log_tail = self.app_output(target, colour).await;
                return Err(StepError::Failed { reason: messages::app_exited(colour.as_str()), log_tail });
            }
        }
        Ok(DeploymentEvent::DeploymentStarted { colour })
    }

    /// Health: the new colour answers its health path; when it does not, the failure keeps the app's output (and
    /// says it ended, when it did).
    pub(super) async fn health(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let colour = self.colour();
        let gate =
            HealthGate { deadline: self.deps.health_deadline, ..HealthGate::new(target.spec.health_path.clone()) };
        match gate.wait(target.spec.ports.of(colour), self.log).await {
            Ok(_) => Ok(DeploymentEvent::DeploymentHealthPassed {}),
            Err(error) => {
                let runtime = self.runtime(target);
                let reason = if runtime.is_running(&target.spec.name, colour).await {
                    error.message()
                } else {
                    messages::app_exited(colour.as_str())
                };
                Err(StepError::Failed { reason, log_tail: self.app_output(target, colour).await })
            }
        }
    }

    /// Switch: nginx sends the site's requests to the new colour.
    pub(super) async fn switch(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let colour = self.colour();
        let file = self.deps.upstream_file(&target.spec.name);
        self.deps.nginx.switch(&file, target.spec.ports.of(colour), self.log).await?;
        Ok(DeploymentEvent::DeploymentSwitched { colour })
    }

    /// Drain: the old colour, when it runs, keeps its requests for `deployments.drain_secs`, then is stopped.
    pub(super) async fn drain(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let (name, old) = (target.spec.name.as_str(), self.colour().other());
        let runtime = self.runtime(target);
        if runtime.is_running(name, old).await {
            self.say(messages::draining(old.as_str(), self.deps.drain.as_secs()));
            tokio::time::sleep(self.deps.drain).await;
            self.stop(runtime, name, old).await?;
        }
        Ok(DeploymentEvent::DeploymentDrained {})
    }

    /// Stops a colour, saying so.
    async fn stop(&self, runtime: &dyn AppRuntime, site: &str, colour: Colour) -> Result<Stopped, EngineError> {
        let seconds = STOP_GRACE.as_secs();
        self.say(messages::app_stopping(colour.as_str(), seconds));
        let stopped = runtime.stop(site, colour, STOP_GRACE).await?;
        match stopped {
            Stopped::Killed => self.say(messages::app_killed(colour.as_str(), seconds)),
            Stopped::Exited | Stopped::NotRunning => self.say(messages::app_stopped(colour.as_str())),
        }
        Ok(stopped)
    }

    /// After a failure: stops `colour` unless the upstream file points at it (or cannot be read, when nobody can
    /// tell); a failure to stop is logged.
    pub(super) async fn stop_unless_live(&self, target: &Target, colour: Colour) {
        let file = self.deps.upstream_file(&target.spec.name);
        match nginx::current_port(&file).await {
            Ok(Some(port)) if port == target.spec.ports.of(colour) => return,
            Err(_) => return,
            Ok(_) => {}
        }
        let runtime = self.runtime(target);
        if let Err(e) = self.stop(runtime, &target.spec.name, colour).await {
            self.say(messages::stop_failed(colour.as_str(), e.message()));
        }
    }

    /// The last lines the colour's app wrote (the process and systemd runtimes' log file; nothing for docker,
    /// whose `docker logs` keeps them).
    async fn app_output(&self, target: &Target, colour: Colour) -> String {
        let Some(path) = self.runtime(target).output_file(&target.spec.name, colour) else { return String::new() };
        // The log grows across the app's whole life: only its end is read.
        let tail = async {
            let mut file = tokio::fs::File::open(&path).await?;
            let length = file.metadata().await?.len();
            file.seek(std::io::SeekFrom::Start(length.saturating_sub(APP_TAIL_BYTES))).await?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).await?;
            Ok::<_, std::io::Error>(bytes)
        };
        let Ok(bytes) = tail.await else { return String::new() };
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(APP_TAIL_LINES)..].join("\n")
    }
}
