//! Why a backup, a verification or a restore failed, precisely enough for an operator to act on: which command
//! and how it ended, which path and what the system said. What people read is [`BackupError::message`], a code
//! with its arguments that the panel renders in their language; `Display` is the log form. Neither ever contains
//! a password.

use std::{fmt, io, path::PathBuf};

use lawha_domain::Message;

use crate::messages;
pub use crate::messages::actions::IoAction;

/// A backup or restore failure.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// An external tool ran and failed.
    #[error("{command} failed ({status}){}", tail(stderr))]
    Command {
        /// The program and its arguments, without secrets (`pg_dump --format=custom … appdb`).
        command: String,
        /// How it ended.
        status: CommandStatus,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// An external tool is not installed.
    #[error("`{program}` was not found on PATH: install {package}")]
    MissingTool {
        /// The program looked for.
        program: String,
        /// The Debian package that provides it (`postgresql-client`).
        package: String,
    },
    /// The destination's file system is full.
    #[error("no space left on the destination while {action} {}", path.display())]
    DiskFull {
        /// What was being done.
        action: IoAction,
        /// Where.
        path: PathBuf,
    },
    /// The system refused access.
    #[error("permission denied while {action} {}", path.display())]
    PermissionDenied {
        /// What was being done.
        action: IoAction,
        /// Where.
        path: PathBuf,
    },
    /// Any other I/O failure.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: IoAction,
        /// Where.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The database could not be reached or refused a query.
    #[error("the database {location}: {problem}")]
    Database {
        /// The URL without its password, or the file.
        location: String,
        /// What went wrong.
        problem: Message,
    },
    /// The archive was written but reading it back did not match what was written.
    #[error("the archive read back does not match what was written: {0}")]
    ReadBack(Message),
    /// An archive failed verification.
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    /// The archive, the target, a source or a destination was refused before anything was read or written: what
    /// a new request must change, not what running the same one again could fix.
    #[error("{0}")]
    Refused(Message),
    /// A directory restore failed after it had moved the previous target aside; the message says why and how the
    /// target was left (put back, or kept at a path).
    #[error("{0}")]
    RestoreFailed(Message),
    /// A request the engine cannot run (a bad recipient, a level out of range).
    #[error("{0}")]
    Invalid(Message),
}

impl BackupError {
    /// An I/O failure, classified: a full disk and a refused permission get their own variants.
    pub fn io(action: IoAction, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::StorageFull => Self::DiskFull { action, path },
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { action, path },
            _ if source.raw_os_error() == Some(28) => Self::DiskFull { action, path },
            _ => Self::Io { action, path, source },
        }
    }

    /// What people read: the failure as a code with its arguments.
    pub fn message(&self) -> Message {
        match self {
            Self::Command { command, status, stderr } => {
                let stderr = stderr.trim();
                if stderr.is_empty() {
                    messages::command_failed_no_stderr(command, status.message())
                } else {
                    messages::command_failed(command, status.message(), stderr)
                }
            }
            Self::MissingTool { program, package } => messages::missing_tool(program, package),
            Self::DiskFull { action, path } => messages::disk_full(action.key(), path),
            Self::PermissionDenied { action, path } => messages::permission_denied(action.key(), path),
            Self::Io { action, path, source } => messages::io_failed(action.key(), path, source.to_string()),
            Self::Database { location, problem } => messages::database_failed(location, problem.clone()),
            Self::ReadBack(problem) => messages::read_back_mismatch(problem.clone()),
            Self::Verify(e) => e.message(),
            Self::Refused(message) | Self::RestoreFailed(message) | Self::Invalid(message) => message.clone(),
        }
    }
}

/// How an external tool ended when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandStatus {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signal(i32),
    /// Neither, as the system describes it (not expected on Linux).
    Other(String),
}

impl CommandStatus {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::Exited(code) => messages::exit_status(*code),
            Self::Signal(signal) => messages::killed_by_signal(*signal),
            // The system's own description is data, shown as it is.
            Self::Other(text) => Message::text(text),
        }
    }
}

/// For logs: `exit status 1`, `killed by signal 9`.
impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exited(code) => write!(f, "exit status {code}"),
            Self::Signal(signal) => write!(f, "killed by signal {signal}"),
            Self::Other(text) => f.write_str(text),
        }
    }
}

/// `: <last stderr lines>` when there are any.
fn tail(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() { String::new() } else { format!(": {stderr}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::actions;

    #[test]
    fn io_failures_are_classified_and_name_their_action_by_key() {
        let full = BackupError::io(actions::WRITING, "/backups/a", io::Error::from_raw_os_error(28));
        assert!(matches!(full, BackupError::DiskFull { action: actions::WRITING, .. }), "{full}");
        assert_eq!(full.message(), messages::disk_full("writing", "/backups/a"));
        assert_eq!(full.to_string(), "no space left on the destination while writing /backups/a");
        let denied = BackupError::io(actions::CREATING_THE_ARCHIVE, "/b", io::Error::from_raw_os_error(13));
        assert_eq!(denied.message(), messages::permission_denied("creating_the_archive", "/b"));
        assert_eq!(denied.to_string(), "permission denied while creating the archive /b");
        let other = BackupError::io(actions::READING, "/c", io::Error::from_raw_os_error(5));
        let reason = io::Error::from_raw_os_error(5).to_string();
        assert_eq!(other.message(), messages::io_failed("reading", "/c", reason));
    }

    #[test]
    fn a_command_failure_has_its_stderr_only_when_there_is_one() {
        let failed = |stderr: &str| BackupError::Command {
            command: "pg_dump app".into(),
            status: CommandStatus::Exited(1),
            stderr: stderr.into(),
        };
        assert_eq!(
            failed("boom\n").message(),
            messages::command_failed("pg_dump app", messages::exit_status(1), "boom")
        );
        assert_eq!(failed(" ").message(), messages::command_failed_no_stderr("pg_dump app", messages::exit_status(1)));
        assert_eq!(failed("boom").to_string(), "pg_dump app failed (exit status 1): boom");
    }
}
