//! How a release runs: one app per (site, colour), started from its release folder on the colour's port, stopped
//! gracefully, and asked whether it runs. Three runtimes: [`process`] (a process group of its own on this host),
//! [`systemd`] (a transient unit of the worker user's systemd) and [`docker`] (a container through the docker
//! CLI).
//!
//! A runtime keeps what it needs to find an app again on disk or in Docker, never in memory: a worker that
//! restarts finds the colours it started running, stops them and replaces them.

pub mod docker;
pub mod process;
pub mod systemd;

use std::{path::PathBuf, time::Duration};

use async_trait::async_trait;
pub use lawha_domain::deployments::Colour;

use super::EngineError;

/// One release to run on one colour.
#[derive(Debug, Clone)]
pub struct AppInstance {
    /// The site's name (a folder's name).
    pub site: String,
    /// The colour it runs as.
    pub colour: Colour,
    /// The commit it was built from (the Docker image's tag).
    pub commit: String,
    /// The release's folder, where the start command runs (or the image was built).
    pub release_dir: PathBuf,
    /// What runs it, with `sh -c`; it must listen on `$PORT`. Docker: empty means the image's own command.
    pub start_command: String,
    /// The colour's port, given as `PORT`.
    pub port: u16,
    /// The site's variables (values may be secret; they are never shown).
    pub env: Vec<(String, String)>,
}

/// How a stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Nothing of the colour was running.
    NotRunning,
    /// It ended within its grace period.
    Exited,
    /// It was still running after its grace period and was killed.
    Killed,
}

/// Runs releases.
#[async_trait]
pub trait AppRuntime: Send + Sync {
    /// Starts the release on its colour, stopping whatever ran on that colour first. Returns once it was started,
    /// not once it answers: the health gate says when it does.
    async fn start(&self, app: &AppInstance) -> Result<(), EngineError>;

    /// Asks the colour's app to end (SIGTERM), waits up to `grace`, then kills it (SIGKILL).
    async fn stop(&self, site: &str, colour: Colour, grace: Duration) -> Result<Stopped, EngineError>;

    /// Whether the colour's app runs now.
    async fn is_running(&self, site: &str, colour: Colour) -> bool;

    /// The file the colour's app writes its output to, whose last lines a failed start or health check keeps;
    /// None when the runtime keeps it elsewhere (`docker logs`).
    fn output_file(&self, _site: &str, _colour: Colour) -> Option<PathBuf> {
        None
    }
}
