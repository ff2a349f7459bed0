//! The `systemd` runtime: each colour runs as the transient unit `lawha-<site>-<colour>.service` of the worker
//! user's own service manager (`systemd-run --user`), started with `sh -c` in the release's folder. A transient
//! unit is not a child of the worker: it outlives a restart of the worker without `KillMode=process`, systemd
//! knows every process it forked (its cgroup), and `systemctl --user status lawha-shop-blue` shows it.
//!
//! Why the user manager and not the system one: the worker runs as `lawha` without privileges, and polkit cannot
//! grant the system manager's `StartTransientUnit` for some unit names only (systemd asks it without naming the
//! unit), so a rule that let the worker start its units would let it run anything as root. In the user manager
//! the apps run as the worker's user, exactly as the `process` runtime's do. It needs that user's manager to run
//! without a login session: `loginctl enable-linger lawha` once (ops/install.sh's notes). `systemd-run` and
//! `systemctl` find it through `XDG_RUNTIME_DIR` (`/run/user/<uid>`) or `DBUS_SESSION_BUS_ADDRESS`, which the
//! worker passes through beside `PATH`, `HOME` and `LANG`.
//!
//! The app's output goes where the `process` runtime's goes, `<state_dir>/<site>/<colour>.log` (appended:
//! `StandardOutput=append:`), so a failed start or health check shows its last lines the same way;
//! `journalctl` is not needed. The site's variables reach the app through an `EnvironmentFile=`,
//! `<state_dir>/<site>/<colour>.env` (mode 0600, removed as soon as `systemd-run` returned, when systemd has
//! read it): never through the arguments, which `ps` shows to every user, nor `--setenv=NAME=value`, which
//! `systemctl show` would show to every user. `PORT` is the colour's port whatever the site's variables say.
//!
//! A stop asks every process of the unit to end (`systemctl --user kill --signal=SIGTERM`), waits for the unit to
//! be inactive up to the grace period it is given, then kills what is left (`SIGKILL`): `systemctl stop` would
//! wait the unit's own `TimeoutStopSec=` instead, and could not tell an app that ended from one that was killed.
//! Units are started with `--collect`, so a stopped or failed one is unloaded and its name is free again.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use lawha_domain::Message;
use tokio::sync::mpsc::UnboundedSender;

use super::{AppInstance, AppRuntime, Colour, Stopped};
use crate::engine::{
    EngineError, IoAction,
    command::{Process, base_env, worker_env},
    error::folder_name,
    fsutil::remove_if_exists,
};

/// The variables of the worker's environment that lead `systemd-run` and `systemctl` to the user's manager.
const USER_BUS_VARIABLES: &[&str] = &["XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"];
/// The Debian package of `systemd-run` and `systemctl`.
const PACKAGE: &str = "systemd";
/// How long killed processes may take to disappear.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often a stopping unit's state is asked again.
const POLL: Duration = Duration::from_millis(100);
/// The states in which something of the unit runs.
const RUNNING_STATES: &[&str] = &["active", "activating", "deactivating", "reloading", "refreshing"];

/// Apps as transient units of the worker user's systemd.
#[derive(Debug, Clone)]
pub struct SystemdRuntime {
    /// `systemd-run`: on `PATH`, or a path.
    run: String,
    /// `systemctl`: beside `systemd-run` when that is a path, else on `PATH`.
    ctl: String,
    /// Where each colour's output (and, for the moment of its start, its environment file) is.
    state_dir: PathBuf,
    /// The grace period of an app stopped because its colour is started again.
    restart_grace: Duration,
    /// The time limit of one call of `systemd-run` or `systemctl`.
    timeout: Duration,
}

impl SystemdRuntime {
    /// Runs `program` as `systemd-run` (and the `systemctl` beside it, when it is a path), keeping the apps'
    /// output under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>, program: impl Into<String>) -> Self {
        let run = program.into();
        let ctl = match Path::new(&run).parent().filter(|dir| !dir.as_os_str().is_empty()) {
            Some(dir) => dir.join("systemctl").display().to_string(),
            None => "systemctl".to_owned(),
        };
        Self {
            run,
            ctl,
            state_dir: state_dir.into(),
            restart_grace: super::process::DEFAULT_RESTART_GRACE,
            timeout: Duration::from_secs(60),
        }
    }

    /// Sets the grace period of an app stopped because its colour is started again.
    #[must_use]
    pub fn with_restart_grace(mut self, grace: Duration) -> Self {
        self.restart_grace = grace;
        self
    }

    /// The unit of a site's colour: `lawha-<site>-<colour>.service`. A site name is a letter or a digit, then
    /// letters, digits, `.`, `_` and `-` (what the panel accepts), all of which a unit name may hold as they are;
    /// any other name is refused rather than escaped, so the unit's name is always the one people read.
    pub fn unit(site: &str, colour: Colour) -> Result<String, EngineError> {
        let plain = site.len() <= 64
            && site.starts_with(|c: char| c.is_ascii_alphanumeric())
            && site.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !plain {
            return Err(EngineError::InvalidUnit(site.to_owned()));
        }
        Ok(format!("lawha-{site}-{}.service", colour.as_str()))
    }

    /// `<state_dir>/<site>/<colour>.<extension>`, absolute (systemd takes no relative path).
    fn file(&self, site: &str, colour: Colour, extension: &str) -> Result<PathBuf, EngineError> {
        let dir =
            std::path::absolute(&self.state_dir).map_err(|e| EngineError::io(IoAction::Read, &self.state_dir, e))?;
        Ok(dir.join(folder_name("site", site)?).join(format!("{}.{extension}", colour.as_str())))
    }

    /// The colour's log file.
    pub fn log_file(&self, site: &str, colour: Colour) -> Result<PathBuf, EngineError> {
        self.file(site, colour, "log")
    }

    /// `systemctl --user` with `args`.
    fn systemctl<'a>(&self, args: impl IntoIterator<Item = &'a str>) -> Process {
        let process = Process::new(self.ctl.as_str(), PACKAGE).envs(&worker_env(USER_BUS_VARIABLES));
        process.timeout(self.timeout).arg("--user").args(args)
    }

    /// The unit's `ActiveState` (`inactive` for a unit systemd does not know); None when systemd cannot be asked.
    async fn state(&self, unit: &str) -> Option<String> {
        let show = self.systemctl(["show", "--property=ActiveState", "--value", unit]);
        show.output(&discard()).await.ok().map(|out| out.trim().to_owned())
    }

    /// Waits up to `limit` for the unit to stop running; returns whether it did.
    async fn wait_stopped(&self, unit: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.state(unit).await.is_some_and(|state| !RUNNING_STATES.contains(&state.as_str())) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `signal` to every process of the unit; a unit that ended meanwhile is fine.
    async fn kill(&self, unit: &str, signal: &str) -> Result<(), EngineError> {
        let kill = self.systemctl(["kill", "--signal", signal, unit]);
        match kill.run(&discard()).await {
            Err(e @ (EngineError::MissingTool { .. } | EngineError::Spawn { .. } | EngineError::TimedOut { .. })) => {
                Err(e)
            }
            _ => Ok(()),
        }
    }
}

/// A sink for the tools' own lines, which nobody reads: failures carry their last lines in the error.
fn discard() -> UnboundedSender<Message> {
    tokio::sync::mpsc::unbounded_channel().0
}

/// The environment file's text: `NAME="value"` lines in systemd's syntax, where a backslash makes `"`, `\`,
/// `` ` `` and `$` plain and every other character (a newline too) stands for itself between the quotes.
fn environment_file(vars: &[(String, String)]) -> Result<String, EngineError> {
    let mut text = String::new();
    for (name, value) in vars {
        let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        // The value is never named: it may be secret.
        let refused =
            |what: &str| EngineError::Spawn { program: "systemd-run".into(), reason: format!("{name} {what}") };
        if !plain {
            return Err(refused("is not a variable name"));
        }
        if value.contains('\0') {
            return Err(refused("holds a NUL byte"));
        }
        text.push_str(name);
        text.push_str("=\"");
        for c in value.chars() {
            if matches!(c, '"' | '\\' | '`' | '$') {
                text.push('\\');
            }
            text.push(c);
        }
        text.push_str("\"\n");
    }
    Ok(text)
}

/// Writes `text` to `path`, readable by the worker alone (0600), replacing what was there.
async fn write_private(path: &Path, text: String) -> Result<(), EngineError> {
    remove_if_exists(path).await?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut open = std::fs::OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(open.write(true).create_new(true), 0o600);
        let mut file = open.open(&path).map_err(|e| EngineError::io(IoAction::Create, &path, e))?;
        file.write_all(text.as_bytes()).map_err(|e| EngineError::io(IoAction::Write, &path, e))
    })
    .await
    .map_err(|e| EngineError::Spawn { program: "systemd-run".into(), reason: e.to_string() })?
}

#[async_trait]
impl AppRuntime for SystemdRuntime {
    async fn start(&self, app: &AppInstance) -> Result<(), EngineError> {
        let unit = Self::unit(&app.site, app.colour)?;
        self.stop(&app.site, app.colour, self.restart_grace).await?;
        let dir =
            std::path::absolute(&app.release_dir).map_err(|e| EngineError::io(IoAction::Read, &app.release_dir, e))?;
        if let Err(e) = tokio::fs::read_dir(&dir).await {
            return Err(EngineError::io(IoAction::Read, &dir, e));
        }
        let log = self.log_file(&app.site, app.colour)?;
        if let Some(parent) = log.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| EngineError::io(IoAction::Create, parent, e))?;
        }
        let env_file = self.file(&app.site, app.colour, "env")?;
        let mut vars = base_env();
        vars.extend(app.env.iter().filter(|(name, _)| name != "PORT").cloned());
        write_private(&env_file, environment_file(&vars)?).await?;
        let run = Process::new(self.run.as_str(), PACKAGE)
            .envs(&worker_env(USER_BUS_VARIABLES))
            .timeout(self.timeout)
            .args(["--user", "--quiet", "--collect"])
            .arg(format!("--unit={unit}"))
            .arg(format!("--description=Lawha site {} ({})", app.site, app.colour.as_str()))
            .arg(format!("--working-directory={}", dir.display()))
            .arg(format!("--setenv=PORT={}", app.port))
            .arg(format!("--property=EnvironmentFile={}", env_file.display()))
            .arg(format!("--property=StandardOutput=append:{}", log.display()))
            .arg(format!("--property=StandardError=append:{}", log.display()))
            .args(["--", "/bin/sh", "-c", app.start_command.as_str()]);
        // systemd read the file before systemd-run returned, whatever it answers.
        let started = run.run(&discard()).await;
        remove_if_exists(&env_file).await?;
        started.map(drop)
    }

    async fn stop(&self, site: &str, colour: Colour, grace: Duration) -> Result<Stopped, EngineError> {
        let unit = Self::unit(site, colour)?;
        remove_if_exists(&self.file(site, colour, "env")?).await?;
        if !self.is_running(site, colour).await {
            return Ok(Stopped::NotRunning);
        }
        self.kill(&unit, "SIGTERM").await?;
        if self.wait_stopped(&unit, grace).await {
            return Ok(Stopped::Exited);
        }
        self.kill(&unit, "SIGKILL").await?;
        if self.wait_stopped(&unit, KILL_WAIT).await {
            Ok(Stopped::Killed)
        } else {
            Err(EngineError::StillRunning { colour: colour.as_str() })
        }
    }

    async fn is_running(&self, site: &str, colour: Colour) -> bool {
        let Ok(unit) = Self::unit(site, colour) else { return false };
        self.state(&unit).await.is_some_and(|state| RUNNING_STATES.contains(&state.as_str()))
    }

    fn output_file(&self, site: &str, colour: Colour) -> Option<PathBuf> {
        self.log_file(site, colour).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_take_the_site_as_it_is_or_refuse_it() {
        assert_eq!(SystemdRuntime::unit("My.Site_2", Colour::Green).unwrap(), "lawha-My.Site_2-green.service");
        for bad in ["", "-x", "a b", "a/b", "a\\x2d", "ä", "shop;reboot", &"a".repeat(65)] {
            assert!(matches!(SystemdRuntime::unit(bad, Colour::Blue), Err(EngineError::InvalidUnit(_))), "{bad:?}");
        }
    }

    #[test]
    fn values_are_quoted_in_systemds_syntax_and_never_shown_in_a_refusal() {
        let vars = [("A".to_owned(), "plain".to_owned()), ("B".to_owned(), "q\"b\\d$x`y\nz".to_owned())];
        assert_eq!(environment_file(&vars).unwrap(), "A=\"plain\"\nB=\"q\\\"b\\\\d\\$x\\`y\nz\"\n");
        let refused = environment_file(&[("S".to_owned(), "hunter2\0".to_owned())]).unwrap_err();
        assert!(!refused.to_string().contains("hunter2"), "{refused}");
    }

    #[test]
    fn systemctl_is_taken_beside_a_systemd_run_given_as_a_path() {
        assert_eq!(SystemdRuntime::new("/s", "/opt/fake/systemd-run").ctl, "/opt/fake/systemctl");
        assert_eq!(SystemdRuntime::new("/s", "systemd-run").ctl, "systemctl");
    }
}
