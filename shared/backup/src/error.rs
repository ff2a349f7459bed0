//! Why a backup, a verification or a restore failed, precisely enough for an operator to act on: which command
//! and how it ended, which path and what the system said. These messages reach `BackupFailed` events and the UI,
//! so they never contain a password.

use std::{io, path::PathBuf};

/// A backup or restore failure.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// An external tool ran and failed.
    #[error("{command} failed ({status}){}", tail(stderr))]
    Command {
        /// The program and its arguments, without secrets (`pg_dump --format=custom … appdb`).
        command: String,
        /// How it ended: `exit status 1`, `killed by signal 9`.
        status: String,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// An external tool is not installed.
    #[error("`{program}` was not found on PATH: {hint}")]
    MissingTool {
        /// The program looked for.
        program: String,
        /// What to install.
        hint: String,
    },
    /// The destination's file system is full.
    #[error("no space left on the destination while {action} {}", path.display())]
    DiskFull {
        /// What was being done (`writing`).
        action: String,
        /// Where.
        path: PathBuf,
    },
    /// The system refused access.
    #[error("permission denied while {action} {}", path.display())]
    PermissionDenied {
        /// What was being done (`creating the archive`).
        action: String,
        /// Where.
        path: PathBuf,
    },
    /// Any other I/O failure.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: String,
        /// Where.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The database could not be reached or refused a query.
    #[error("the database {location}: {message}")]
    Database {
        /// The URL without its password, or the file.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// The archive was written but reading it back did not match what was written.
    #[error("the archive read back does not match what was written: {0}")]
    ReadBack(String),
    /// An archive failed verification.
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    /// A restore refused the archive or the target before writing anything.
    #[error("{0}")]
    Refused(String),
    /// A request the engine cannot run (a bad recipient, a level out of range).
    #[error("{0}")]
    Invalid(String),
}

impl BackupError {
    /// An I/O failure, classified: a full disk and a refused permission get their own variants.
    pub fn io(action: impl Into<String>, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let (action, path) = (action.into(), path.into());
        match source.kind() {
            io::ErrorKind::StorageFull => Self::DiskFull { action, path },
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { action, path },
            _ if source.raw_os_error() == Some(28) => Self::DiskFull { action, path },
            _ => Self::Io { action, path, source },
        }
    }
}

/// `: <last stderr lines>` when there are any.
fn tail(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() { String::new() } else { format!(": {stderr}") }
}
