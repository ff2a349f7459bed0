//! Running the external dump and restore tools (`pg_dump`, `pg_restore`, `psql`, `mariadb-dump`, `mariadb`) from
//! blocking code: stdout streamed into a writer through one 256 KiB buffer (never the whole dump in memory), or
//! stdin fed from a reader, stderr kept as a bounded tail for the error message, and secrets handed over in the
//! child's environment only.
//!
//! Architecture Invariant: a secret given to [`Tool::secret_env`] appears in no argument, no command line shown in
//! an error and no stderr tail (it is scrubbed from there too).
//!
//! Architecture Invariant: a tool inherits nothing of the worker's environment but [`PASSED_THROUGH`] (where
//! programs are, the locale, the home and temporary folders): the worker's own environment holds
//! `LAWHA_SECRET_KEY` and `LAWHA_DATABASE_URL` with its password, which a dump tool has no business seeing (nor
//! a `PGPASSWORD` meant for another server). Everything else a tool gets is set for it here.
//!
//! A failed write into the output (a full disk) kills the child and is reported as that write error, not as a
//! failure of the tool, which would only have seen a broken pipe.

use std::{
    ffi::{OsStr, OsString},
    fmt,
    io::{self, Read, Write},
    path::PathBuf,
    process::{Child, ChildStderr, Command, ExitStatus, Stdio},
    thread::JoinHandle,
};

use crate::{
    BackupError,
    error::CommandStatus,
    messages::{self, IoAction, actions},
};

#[path = "url.rs"]
pub mod url;

/// The size of the one buffer a stream goes through.
pub const BUFFER_SIZE: usize = 256 * 1024;
/// How much of a tool's stderr an error message keeps: the last 4 KiB …
const STDERR_TAIL_BYTES: usize = 4096;
/// … and of those, the last 20 lines.
const STDERR_TAIL_LINES: usize = 20;
/// The most [`Tool::output`] keeps of a tool's stdout (a table count, a `SHOW CREATE DATABASE`).
const OUTPUT_LIMIT: usize = 1 << 20;

/// The variables of this process a tool gets, besides `LC_*`; every other one is cleared.
pub const PASSED_THROUGH: &[&str] = &["PATH", "LANG", "LANGUAGE", "HOME", "TMPDIR", "TZ"];

/// One external command, built up before it runs.
#[derive(Clone)]
pub struct Tool {
    /// The program: a name looked up on `PATH`, or a path.
    program: PathBuf,
    /// Its arguments: never a secret.
    args: Vec<OsString>,
    /// Environment variables to set (secrets included) or, with `None`, to remove.
    env: Vec<(OsString, Option<OsString>)>,
    /// The secrets among the values above, scrubbed from the stderr tail.
    secrets: Vec<String>,
    /// The Debian package that provides the program (`postgresql-client`), named when it is missing.
    package: String,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool").field("command", &self.command_line()).finish_non_exhaustive()
    }
}

impl Tool {
    /// A command running `program`; `package` is the Debian package to install when it is missing.
    pub fn new(program: impl Into<PathBuf>, package: impl Into<String>) -> Self {
        let package = package.into();
        Self { program: program.into(), args: Vec::new(), env: Vec::new(), secrets: Vec::new(), package }
    }

    /// Adds one argument (never a secret: arguments are shown in error messages and in `ps`).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets a variable in the child's environment that is not secret (`PGSSLMODE`).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.into(), Some(value.as_ref().to_owned())));
        self
    }

    /// Sets a secret variable (`PGPASSWORD`); `None` sets nothing (the child's environment starts empty).
    pub fn secret_env(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(secret) = value.filter(|s| !s.is_empty()) {
            self.secrets.push(secret.to_owned());
        }
        self.env.push((key.into(), value.map(OsString::from)));
        self
    }

    /// The program's name as messages show it.
    pub fn program(&self) -> String {
        self.program.display().to_string()
    }

    /// The program and its arguments as one line, for messages (no secret is ever an argument).
    pub fn command_line(&self) -> String {
        let mut line = self.program();
        for arg in &self.args {
            line.push(' ');
            line.push_str(&arg.to_string_lossy());
        }
        line
    }

    /// Runs the tool with stdin closed and streams its stdout into `out`; returns the bytes written.
    pub fn stream_to(&self, out: &mut dyn Write) -> Result<u64, BackupError> {
        let (mut child, stderr) = self.spawn(Stdio::null(), Stdio::piped())?;
        let Some(mut stdout) = child.stdout.take() else { return Err(self.pipe_missing("stdout")) };
        let mut buffer = vec![0; BUFFER_SIZE];
        let mut written = 0u64;
        loop {
            let n = match stdout.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let error = BackupError::io(actions::READING_THE_OUTPUT_OF, self.program(), e);
                    return Err(self.abort(child, stderr, error));
                }
            };
            if let Err(e) = out.write_all(&buffer[..n]) {
                let error = output_error(e, actions::WRITING_THE_OUTPUT_OF, self.program());
                return Err(self.abort(child, stderr, error));
            }
            written += n as u64;
        }
        drop(stdout);
        self.finish(child, stderr)?;
        Ok(written)
    }

    /// Runs the tool with stdin fed from `input` and stdout discarded; returns the bytes fed. A failed read of
    /// `input` kills the tool (a restore stops where the archive went bad) and is returned as is.
    pub fn feed(&self, input: &mut dyn Read) -> Result<u64, BackupError> {
        let (mut child, stderr) = self.spawn(Stdio::piped(), Stdio::null())?;
        let Some(mut stdin) = child.stdin.take() else { return Err(self.pipe_missing("stdin")) };
        let mut buffer = vec![0; BUFFER_SIZE];
        let mut fed = 0u64;
        loop {
            let n = match input.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let error = output_error(e, actions::READING_WHAT_TO_FEED, self.program());
                    return Err(self.abort(child, stderr, error));
                }
            };
            match stdin.write_all(&buffer[..n]) {
                Ok(()) => fed += n as u64,
                // The tool stopped reading: it failed, and its exit status and stderr say why.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
                Err(e) => return Err(self.abort(child, stderr, BackupError::io(actions::FEEDING, self.program(), e))),
            }
        }
        drop(stdin);
        self.finish(child, stderr)?;
        Ok(fed)
    }

    /// Runs the tool with `input` on stdin and returns its stdout (at most 1 MiB of it), for small queries.
    pub fn output(&self, input: Vec<u8>) -> Result<String, BackupError> {
        let (mut child, stderr) = self.spawn(Stdio::piped(), Stdio::piped())?;
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let missing = if stdin.is_none() { "stdin" } else { "stdout" };
        let (Some(mut stdin), Some(stdout)) = (stdin, stdout) else { return Err(self.pipe_missing(missing)) };
        // A thread feeds stdin while this one reads stdout, so neither pipe can fill up and stall the other.
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut captured = Vec::new();
        let read = stdout.take(OUTPUT_LIMIT as u64).read_to_end(&mut captured);
        let _ = feeder.join();
        if let Err(e) = read {
            return Err(self.abort(child, stderr, BackupError::io(actions::READING_THE_OUTPUT_OF, self.program(), e)));
        }
        self.finish(child, stderr)?;
        Ok(String::from_utf8_lossy(&captured).into_owned())
    }

    fn spawn(&self, stdin: Stdio, stdout: Stdio) -> Result<(Child, JoinHandle<Vec<u8>>), BackupError> {
        let mut command = Command::new(&self.program);
        command.env_clear().envs(passed_through()).args(&self.args).stdin(stdin).stdout(stdout).stderr(Stdio::piped());
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let mut child = command.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                BackupError::MissingTool { program: self.program(), package: self.package.clone() }
            }
            _ => BackupError::io(actions::STARTING, self.program(), e),
        })?;
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.pipe_missing("stderr"));
        };
        Ok((child, std::thread::spawn(move || stderr_tail(stderr))))
    }

    /// Waits for the child; a non-zero exit or a signal is a [`BackupError::Command`] with the stderr tail.
    fn finish(&self, mut child: Child, stderr: JoinHandle<Vec<u8>>) -> Result<(), BackupError> {
        let status = child.wait().map_err(|e| BackupError::io(actions::WAITING_FOR, self.program(), e))?;
        let tail = stderr.join().unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(BackupError::Command { command: self.command_line(), status: describe(status), stderr: self.scrub(&tail) })
    }

    /// Kills the child after a failure on this side, reaps it and returns `error`.
    fn abort(&self, mut child: Child, stderr: JoinHandle<Vec<u8>>, error: BackupError) -> BackupError {
        let _ = child.kill();
        let _ = child.wait();
        let _ = stderr.join();
        error
    }

    /// The last lines of stderr as text, with every secret replaced by `***`.
    fn scrub(&self, tail: &[u8]) -> String {
        let text = String::from_utf8_lossy(tail);
        let lines: Vec<&str> = text.lines().collect();
        let mut kept = lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n");
        for secret in &self.secrets {
            kept = kept.replace(secret.as_str(), "***");
        }
        kept
    }

    fn pipe_missing(&self, which: &str) -> BackupError {
        BackupError::Invalid(messages::pipe_missing(self.program(), which))
    }
}

/// The first line of `program arg` (`pg_dump --version` → `pg_dump (PostgreSQL) 15.8`); `package` is the Debian
/// package that provides `program`.
pub fn tool_version(program: impl Into<PathBuf>, arg: &str, package: &str) -> Result<String, BackupError> {
    let output = Tool::new(program, package).arg(arg).output(Vec::new())?;
    Ok(output.lines().next().unwrap_or_default().trim().to_owned())
}

/// A failed write into the archive pipeline (or a failed read of a restore's input) while `action` on `path`:
/// the pipeline's own [`BackupError`] when it wrapped one into the `io::Error`, else the I/O error, classified (a
/// full disk).
pub(crate) fn output_error(error: io::Error, action: IoAction, path: impl Into<PathBuf>) -> BackupError {
    match error.downcast::<BackupError>() {
        Ok(inner) => inner,
        Err(error) => BackupError::io(action, path, error),
    }
}

/// The variables of this process in [`PASSED_THROUGH`], and the locale's `LC_*`.
// Passing these on is not reading configuration (which is lawha-config's alone): they are handed to the child as
// they are, exactly as `Command` would have inherited them, minus everything else.
fn passed_through() -> impl Iterator<Item = (OsString, OsString)> {
    std::env::vars_os().filter(|(name, _)| {
        PASSED_THROUGH.iter().any(|kept| name == kept) || name.to_str().is_some_and(|n| n.starts_with("LC_"))
    })
}

/// How the tool ended: its exit status, or the signal that killed it.
fn describe(status: ExitStatus) -> CommandStatus {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return CommandStatus::Signal(signal);
    }
    match status.code() {
        Some(code) => CommandStatus::Exited(code),
        None => CommandStatus::Other(status.to_string()),
    }
}

/// Reads stderr to its end, keeping only the last [`STDERR_TAIL_BYTES`] bytes, cut at a line start.
fn stderr_tail(mut stderr: ChildStderr) -> Vec<u8> {
    let mut tail = Vec::with_capacity(2 * STDERR_TAIL_BYTES);
    let mut chunk = [0u8; 8192];
    let mut truncated = false;
    loop {
        match stderr.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => tail.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        if tail.len() > STDERR_TAIL_BYTES {
            tail.drain(..tail.len() - STDERR_TAIL_BYTES);
            truncated = true;
        }
    }
    if truncated && let Some(newline) = tail.iter().position(|&b| b == b'\n') {
        tail.drain(..=newline);
    }
    tail
}
