//! The `docker` runtime, through the docker CLI: the release's folder is built into the image
//! `lawha-<site>:<commit>`, and each colour runs as the container `lawha-<site>-<colour>`, published on
//! `127.0.0.1:<port>` only (nginx is the way in), with `PORT` set and `--restart unless-stopped` (it comes back
//! after a reboot, not after a stop).
//!
//! The site's variables are passed as `-e NAME`, their values in the docker CLI's environment: never in its
//! arguments, which `ps` shows to every user of the host. The CLI finds its daemon as usual: `DOCKER_HOST`,
//! `DOCKER_CONTEXT` and `DOCKER_CONFIG` are passed through from the worker, besides `PATH`, `HOME` and `LANG`.
//!
//! Image names must be lowercase: a site's name is lowercased and every character other than a letter or a digit
//! becomes `-` (`My.Site` is `lawha-my-site`); container names take the site's name as it is.

use std::{path::Path, time::Duration};

use async_trait::async_trait;
use lawha_domain::Message;
use tokio::sync::mpsc::UnboundedSender;

use super::{AppInstance, AppRuntime, Colour, Stopped};
use crate::{
    engine::{
        EngineError,
        command::{Process, worker_env},
        error::folder_name,
    },
    messages,
};

/// The docker CLI's own variables that the worker passes through.
const DOCKER_VARIABLES: &[&str] = &["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"];
/// The Debian package of the docker CLI.
const PACKAGE: &str = "docker.io";

/// Apps as Docker containers.
#[derive(Debug, Clone)]
pub struct DockerRuntime {
    /// The docker CLI: `docker` on `PATH`, or a path.
    program: String,
    /// The time limit of one CLI call other than a build.
    timeout: Duration,
}

impl Default for DockerRuntime {
    fn default() -> Self {
        Self::new("docker")
    }
}

impl DockerRuntime {
    /// Runs `program` as the docker CLI.
    pub fn new(program: impl Into<String>) -> Self {
        Self { program: program.into(), timeout: Duration::from_secs(120) }
    }

    /// The image of a site's commit.
    pub fn image(site: &str, commit: &str) -> String {
        let name: String =
            site.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        format!("lawha-{}:{commit}", name.trim_end_matches('-'))
    }

    /// The container of a site's colour.
    pub fn container(site: &str, colour: Colour) -> String {
        format!("lawha-{site}-{}", colour.as_str())
    }

    fn docker(&self) -> Process {
        Process::new(self.program.as_str(), PACKAGE).envs(&worker_env(DOCKER_VARIABLES)).timeout(self.timeout)
    }

    /// Builds the release's folder into the commit's image, streaming the build's output into `log`; returns the
    /// image's name.
    pub async fn build(
        &self,
        site: &str,
        commit: &str,
        dir: &Path,
        timeout: Duration,
        log: &UnboundedSender<Message>,
    ) -> Result<String, EngineError> {
        folder_name("site", site)?;
        let image = Self::image(site, commit);
        let _ = log.send(messages::image_building(&image));
        self.docker().args(["build", "-t", &image, "."]).current_dir(dir).timeout(timeout).run(log).await?;
        Ok(image)
    }

    /// Removes the container whatever its state; a container that does not exist is fine.
    async fn remove(&self, name: &str, log: &UnboundedSender<Message>) -> Result<(), EngineError> {
        match self.docker().args(["rm", "-f", name]).run(log).await {
            Err(e @ (EngineError::MissingTool { .. } | EngineError::Spawn { .. } | EngineError::TimedOut { .. })) => {
                Err(e)
            }
            _ => Ok(()),
        }
    }
}

/// A sink for the CLI's own lines (container ids, "Error: No such container"), which nobody reads: failures
/// carry their last lines in the error.
fn discard() -> UnboundedSender<Message> {
    tokio::sync::mpsc::unbounded_channel().0
}

#[async_trait]
impl AppRuntime for DockerRuntime {
    async fn start(&self, app: &AppInstance) -> Result<(), EngineError> {
        folder_name("site", &app.site)?;
        let name = Self::container(&app.site, app.colour);
        let log = discard();
        self.remove(&name, &log).await?;
        let port = app.port.to_string();
        let mut run = self.docker().args(["run", "-d", "--name", &name, "--restart", "unless-stopped"]);
        run = run.arg("-p").arg(format!("127.0.0.1:{port}:{port}")).arg("-e").arg(format!("PORT={port}"));
        for (key, _) in &app.env {
            run = run.arg("-e").arg(key.as_str());
        }
        run = run.envs(&app.env).arg(Self::image(&app.site, &app.commit));
        if !app.start_command.trim().is_empty() {
            run = run.args(["sh", "-c", app.start_command.as_str()]);
        }
        run.run(&log).await.map(drop)
    }

    async fn stop(&self, site: &str, colour: Colour, grace: Duration) -> Result<Stopped, EngineError> {
        folder_name("site", site)?;
        let name = Self::container(site, colour);
        let log = discard();
        if !self.is_running(site, colour).await {
            self.remove(&name, &log).await?;
            return Ok(Stopped::NotRunning);
        }
        // docker stop sends SIGTERM, waits the grace period, then SIGKILL; it does not say which ended it.
        let seconds = grace.as_secs().max(1).to_string();
        let limit = grace + self.timeout;
        self.docker().args(["stop", "--time", &seconds, &name]).timeout(limit).run(&log).await?;
        self.remove(&name, &log).await?;
        Ok(Stopped::Exited)
    }

    async fn is_running(&self, site: &str, colour: Colour) -> bool {
        let name = Self::container(site, colour);
        let inspect = self.docker().args(["inspect", "--format", "{{.State.Running}}", &name]);
        inspect.output(&discard()).await.is_ok_and(|out| out.trim() == "true")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_lowercase_and_container_names_keep_the_site() {
        assert_eq!(DockerRuntime::image("My.Site_", "abc"), "lawha-my-site:abc");
        assert_eq!(DockerRuntime::container("My.Site", Colour::Green), "lawha-My.Site-green");
    }
}
