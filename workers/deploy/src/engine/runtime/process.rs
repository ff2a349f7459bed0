//! The `process` runtime: the start command runs with `sh -c` in the release's folder, detached from the worker
//! in a process group of its own, so it outlives a restart of the worker (a worker run by systemd needs
//! `KillMode=process` for that, or its stop takes the apps with it).
//!
//! For each (site, colour), in `<state_dir>/<site>/`: `<colour>.log` receives the app's stdout and stderr
//! (appended, across restarts), `<colour>.pid` holds the pid of the group's leader (which is also the group's id,
//! so `kill -- -$(cat blue.pid)` stops it by hand), and `<colour>.start` the leader's start time from
//! `/proc/<pid>/stat`. A pid alone could name another process after a reboot or once pids wrap around; the pair
//! names one process for good, so `is_running` and `stop` never mistake a stranger for the app.
//!
//! The app gets [`base_env`], the site's variables and `PORT`: nothing else of the worker's environment.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use async_trait::async_trait;
use rustix::process::Signal;

use super::{AppInstance, AppRuntime, Colour, Stopped};
use crate::engine::{
    EngineError, IoAction,
    command::base_env,
    error::folder_name,
    fsutil::{remove_if_exists, write_atomically},
    group::{group_alive, signal_group, stat, wait_group_gone},
};

/// How long a colour that is started again gets to end before it is killed, unless set otherwise.
pub const DEFAULT_RESTART_GRACE: Duration = Duration::from_secs(10);
/// How long a killed group may take to disappear.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Apps as process groups of this host.
#[derive(Debug, Clone)]
pub struct ProcessRuntime {
    /// Where the logs and pid files are.
    state_dir: PathBuf,
    /// The grace period of an app stopped because its colour is started again.
    restart_grace: Duration,
}

impl ProcessRuntime {
    /// Keeps its files under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self { state_dir: state_dir.into(), restart_grace: DEFAULT_RESTART_GRACE }
    }

    /// Sets the grace period of an app stopped because its colour is started again.
    #[must_use]
    pub fn with_restart_grace(mut self, grace: Duration) -> Self {
        self.restart_grace = grace;
        self
    }

    /// `<state_dir>/<site>/<colour>.<extension>`.
    fn file(&self, site: &str, colour: Colour, extension: &str) -> Result<PathBuf, EngineError> {
        Ok(self.state_dir.join(folder_name("site", site)?).join(format!("{}.{extension}", colour.as_str())))
    }

    /// The colour's log file.
    pub fn log_file(&self, site: &str, colour: Colour) -> Result<PathBuf, EngineError> {
        self.file(site, colour, "log")
    }

    /// The colour's pid file.
    pub fn pid_file(&self, site: &str, colour: Colour) -> Result<PathBuf, EngineError> {
        self.file(site, colour, "pid")
    }

    /// The pid and start time recorded for the colour, if both are there and readable.
    async fn recorded(&self, site: &str, colour: Colour) -> Option<(u32, u64)> {
        let pid = tokio::fs::read_to_string(self.pid_file(site, colour).ok()?).await.ok()?;
        let start = tokio::fs::read_to_string(self.file(site, colour, "start").ok()?).await.ok()?;
        Some((pid.trim().parse().ok()?, start.trim().parse().ok()?))
    }

    /// The pid of the colour's running app (the leader of its group), if it runs.
    pub async fn pid(&self, site: &str, colour: Colour) -> Option<u32> {
        let (pid, start) = self.recorded(site, colour).await?;
        stat(pid).is_some_and(|s| s.is_alive() && s.start_time == start && s.pgrp == pgrp(pid)).then_some(pid)
    }

    async fn forget(&self, site: &str, colour: Colour) -> Result<(), EngineError> {
        remove_if_exists(&self.pid_file(site, colour)?).await?;
        remove_if_exists(&self.file(site, colour, "start")?).await
    }
}

/// A pid as a group id in `/proc`'s terms.
fn pgrp(pid: u32) -> i32 {
    i32::try_from(pid).unwrap_or(-1)
}

/// Opens the log for appending (created if needed).
fn open_log(path: &Path) -> Result<(Stdio, Stdio), EngineError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| EngineError::io(IoAction::Open, path, e))?;
    let copy = file.try_clone().map_err(|e| EngineError::io(IoAction::Open, path, e))?;
    Ok((Stdio::from(file), Stdio::from(copy)))
}

#[async_trait]
impl AppRuntime for ProcessRuntime {
    async fn start(&self, app: &AppInstance) -> Result<(), EngineError> {
        self.stop(&app.site, app.colour, self.restart_grace).await?;
        if let Err(e) = tokio::fs::read_dir(&app.release_dir).await {
            return Err(EngineError::io(IoAction::Read, &app.release_dir, e));
        }
        let log_path = self.log_file(&app.site, app.colour)?;
        if let Some(dir) = log_path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| EngineError::io(IoAction::Create, dir, e))?;
        }
        let (stdout, stderr) = open_log(&log_path)?;
        let mut command = tokio::process::Command::new("sh");
        command.arg("-c").arg(&app.start_command).current_dir(&app.release_dir);
        command.env_clear().envs(base_env()).envs(app.env.iter().map(|(k, v)| (k, v)));
        command.env("PORT", app.port.to_string());
        command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        // Its own group, and not killed when the worker lets go of it: the app outlives the worker.
        command.process_group(0).kill_on_drop(false);
        let mut child =
            command.spawn().map_err(|e| EngineError::Spawn { program: "sh".into(), reason: e.to_string() })?;
        let pid = child.id().unwrap_or_default();
        // Not reaped yet (this task holds the child), so /proc/<pid> is there, if only as a zombie.
        let start = stat(pid).map_or(0, |s| s.start_time);
        write_atomically(&self.file(&app.site, app.colour, "start")?, format!("{start}\n").as_bytes()).await?;
        write_atomically(&self.pid_file(&app.site, app.colour)?, format!("{pid}\n").as_bytes()).await?;
        // Reaps the leader when it ends while this worker runs; after a restart of the worker, init does.
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        Ok(())
    }

    async fn stop(&self, site: &str, colour: Colour, grace: Duration) -> Result<Stopped, EngineError> {
        let Some((pid, start)) = self.recorded(site, colour).await else {
            self.forget(site, colour).await?;
            return Ok(Stopped::NotRunning);
        };
        // The leader is ours when its start time matches; when it is gone, what is left of its group is ours
        // (the kernel hands out no pid that is still some group's id).
        let ours = stat(pid).is_none_or(|s| s.start_time == start && s.pgrp == pgrp(pid));
        if !ours || !group_alive(pid) {
            self.forget(site, colour).await?;
            return Ok(Stopped::NotRunning);
        }
        signal_group(pid, Signal::TERM);
        let stopped = if wait_group_gone(pid, grace).await {
            Stopped::Exited
        } else {
            signal_group(pid, Signal::KILL);
            if !wait_group_gone(pid, KILL_WAIT).await {
                return Err(EngineError::StillRunning { colour: colour.as_str() });
            }
            Stopped::Killed
        };
        self.forget(site, colour).await?;
        Ok(stopped)
    }

    async fn is_running(&self, site: &str, colour: Colour) -> bool {
        self.pid(site, colour).await.is_some()
    }

    fn output_file(&self, site: &str, colour: Colour) -> Option<PathBuf> {
        self.log_file(site, colour).ok()
    }
}
