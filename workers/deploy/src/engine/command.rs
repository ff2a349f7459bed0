//! Running external commands (git, the build command, nginx's test and reload, the docker CLI): each in a
//! process group of its own, its stdout and stderr streamed line by line into the deployment's log as they come,
//! its last lines kept as the log tail, and a time limit that kills the whole group.
//!
//! Architecture Invariant: a command inherits nothing of the worker's environment but [`PASSED_THROUGH`]. The
//! worker's environment holds the panel's secret key and database URL; a build script or a repository's hooks
//! have no business seeing them. Everything else a command gets (the site's variables, `PORT`, `GIT_*`) is set
//! for it by its caller.
//!
//! Architecture Invariant: when a command ends, times out or its caller stops waiting (the job was cancelled),
//! its whole process group is killed: a build leaves nothing running behind it, not even a `sleep &` a script
//! forgot. A program that leaves the group on purpose (`setsid`) is beyond reach; its pipes are waited for at
//! most [`DRAIN_AFTER_EXIT`].

use std::{
    collections::VecDeque,
    ffi::OsStr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use lawha_domain::Message;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader},
    sync::mpsc::UnboundedSender,
    task::JoinHandle,
};

use super::{
    error::{EngineError, ExitKind, IoAction},
    group::GroupGuard,
    text,
};
use crate::messages;

/// The variables of the worker's environment every command and app gets; every other one is cleared.
pub const PASSED_THROUGH: &[&str] = &["PATH", "HOME", "LANG"];
/// How many of a command's last lines are kept for its failure's message, unless [`Process::tail_lines`] says.
pub const DEFAULT_TAIL_LINES: usize = 20;
/// The time limit of a command, unless [`Process::timeout`] says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the pipes of a command that ended are still read: what its group wrote last.
pub const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
/// The most of a command's stdout [`Process::output`] keeps (a commit id, `true`).
const CAPTURE_LIMIT: u64 = 64 * 1024;

/// The [`PASSED_THROUGH`] variables as the worker has them, the start of every child's environment.
pub fn base_env() -> Vec<(String, String)> {
    worker_env(PASSED_THROUGH)
}

/// The variables among `names` that the worker's environment has (values that are not UTF-8 are left out).
pub fn worker_env(names: &[&str]) -> Vec<(String, String)> {
    std::env::vars_os()
        .filter(|(name, _)| names.iter().any(|kept| name == OsStr::new(kept)))
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// A command that ran and succeeded.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Its last lines of output.
    pub tail: Vec<String>,
    /// How long it ran.
    pub duration: Duration,
}

/// One external command, built up before it runs.
#[derive(Debug, Clone)]
pub struct Process {
    /// The program: a name looked up on `PATH`, or a path.
    program: String,
    /// Its arguments.
    args: Vec<String>,
    /// How messages name the command: the shell command, or the program and its arguments.
    shown: String,
    /// Where it runs; the worker's own folder when `None`.
    dir: Option<PathBuf>,
    /// Its whole environment: [`base_env`] and what was added.
    env: Vec<(String, String)>,
    /// Its time limit.
    timeout: Duration,
    /// How many last lines are kept.
    tail_lines: usize,
    /// The Debian package that provides the program, named when it is missing.
    package: String,
}

impl Process {
    /// Runs `program` (from the Debian package `package`, named when it is missing).
    pub fn new(program: impl Into<String>, package: impl Into<String>) -> Self {
        let program = program.into();
        Self {
            shown: program.clone(),
            program,
            args: Vec::new(),
            dir: None,
            env: base_env(),
            timeout: DEFAULT_TIMEOUT,
            tail_lines: DEFAULT_TAIL_LINES,
            package: package.into(),
        }
    }

    /// Runs `command` with `sh -c`; messages show the command itself.
    pub fn shell(command: &str) -> Self {
        let mut process = Self::new("sh", "dash").arg("-c").arg(command);
        command.clone_into(&mut process.shown);
        process
    }

    /// A command given as an argv vector (`["nginx", "-t"]`); `None` when it is empty.
    pub fn argv(argv: &[String], package: &str) -> Option<Self> {
        let (program, args) = argv.split_first()?;
        Some(Self::new(program.as_str(), package).args(args))
    }

    /// Adds one argument (shown in messages: never a secret).
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        let arg = arg.into();
        self.shown.push(' ');
        self.shown.push_str(&arg);
        self.args.push(arg);
        self
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(self, args: I) -> Self {
        args.into_iter().fold(self, Self::arg)
    }

    /// Runs it in `dir`.
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Sets a variable (which may be secret: values are never shown).
    #[must_use]
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.env.retain(|(existing, _)| *existing != name);
        self.env.push((name, value.into()));
        self
    }

    /// Sets variables.
    #[must_use]
    pub fn envs<'a>(self, vars: impl IntoIterator<Item = &'a (String, String)>) -> Self {
        vars.into_iter().fold(self, |process, (name, value)| process.env(name, value))
    }

    /// Sets the time limit.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets how many last lines are kept.
    #[must_use]
    pub fn tail_lines(mut self, lines: usize) -> Self {
        self.tail_lines = lines;
        self
    }

    /// The command as messages show it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs the command, sending each line it writes to `log` as [`Message::text`].
    pub async fn run(&self, log: &UnboundedSender<Message>) -> Result<Finished, EngineError> {
        self.execute(log, false).await.map(|(finished, _)| finished)
    }

    /// Runs the command and returns its stdout (at most 64 KiB); its stderr goes to `log`.
    pub async fn output(&self, log: &UnboundedSender<Message>) -> Result<String, EngineError> {
        self.execute(log, true).await.map(|(_, stdout)| stdout)
    }

    async fn execute(&self, log: &UnboundedSender<Message>, capture: bool) -> Result<(Finished, String), EngineError> {
        let mut command = tokio::process::Command::new(&self.program);
        command.args(&self.args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.process_group(0).kill_on_drop(true);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| self.spawn_error(&e))?;
        // Declared after `child`, so dropped before it: the group dies before tokio reaps the leader.
        let mut guard = GroupGuard::new(child.id());
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(self.tail_lines)));
        let stdout = child.stdout.take().map(|out| {
            if capture {
                tokio::spawn(read_all(out))
            } else {
                pump(out, log.clone(), Arc::clone(&tail), self.tail_lines)
            }
        });
        let stderr = child.stderr.take().map(|err| pump(err, log.clone(), Arc::clone(&tail), self.tail_lines));

        let waited = tokio::time::timeout(self.timeout, child.wait()).await;
        guard.kill();
        let status = match waited {
            Ok(Ok(status)) => Some(status),
            Ok(Err(e)) => return Err(self.spawn_error(&e)),
            Err(_) => {
                let _ = child.wait().await;
                None
            }
        };
        let captured = drain(stdout).await;
        drain(stderr).await;
        let output: Vec<String> = tail.lock().map(|lines| lines.iter().cloned().collect()).unwrap_or_default();
        let Some(status) = status else {
            return Err(EngineError::TimedOut { command: self.shown.clone(), after: self.timeout, output });
        };
        if status.success() {
            return Ok((Finished { tail: output, duration: started.elapsed() }, captured));
        }
        let status = match std::os::unix::process::ExitStatusExt::signal(&status) {
            Some(signal) => ExitKind::Signal(signal),
            None => ExitKind::Code(status.code().unwrap_or(-1)),
        };
        Err(EngineError::Failed { command: self.shown.clone(), status, output })
    }

    fn spawn_error(&self, e: &std::io::Error) -> EngineError {
        // A folder to run in that is not there fails the same way as a missing program.
        if let Some(dir) = self.dir.as_ref().filter(|dir| !dir.is_dir()) {
            return EngineError::io(IoAction::Read, dir, std::io::Error::new(e.kind(), e.to_string()));
        }
        if e.kind() == std::io::ErrorKind::NotFound {
            EngineError::MissingTool { program: self.program.clone(), package: self.package.clone() }
        } else {
            EngineError::Spawn { program: self.program.clone(), reason: e.to_string() }
        }
    }
}

/// The build step: runs the site's build command with `sh -c` in the release's folder, with the site's variables,
/// announcing it and its duration in `log`.
pub async fn build(
    command: &str,
    dir: &Path,
    env: &[(String, String)],
    timeout: Duration,
    log: &UnboundedSender<Message>,
) -> Result<Finished, EngineError> {
    let _ = log.send(messages::building(command));
    let finished = Process::shell(command).current_dir(dir).envs(env).timeout(timeout).run(log).await?;
    let _ = log.send(messages::built(u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX)));
    Ok(finished)
}

/// Reads a pipe line by line: each line to `log` and into the shared tail.
fn pump(
    reader: impl AsyncRead + Unpin + Send + 'static,
    log: UnboundedSender<Message>,
    tail: Arc<Mutex<VecDeque<String>>>,
    keep: usize,
) -> JoinHandle<String> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let Some(line) = text::clean_line(&buffer) else { continue };
            if let Ok(mut tail) = tail.lock() {
                if tail.len() == keep {
                    tail.pop_front();
                }
                if keep > 0 {
                    tail.push_back(line.clone());
                }
            }
            let _ = log.send(Message::text(line));
        }
        String::new()
    })
}

/// Reads a pipe whole (up to [`CAPTURE_LIMIT`]).
async fn read_all(reader: impl AsyncRead + Unpin + Send + 'static) -> String {
    let mut bytes = Vec::new();
    let _ = reader.take(CAPTURE_LIMIT).read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits for a pipe's reader at most [`DRAIN_AFTER_EXIT`], and returns what it captured.
async fn drain(task: Option<JoinHandle<String>>) -> String {
    let Some(mut task) = task else { return String::new() };
    match tokio::time::timeout(DRAIN_AFTER_EXIT, &mut task).await {
        Ok(result) => result.unwrap_or_default(),
        Err(_) => {
            task.abort();
            String::new()
        }
    }
}
