//! The engine's one error type. What people read is [`EngineError::message`], a code with its arguments
//! (`crate::messages`); `Display` is a short English line for the worker's own logs.

use std::{fmt, io, path::PathBuf, time::Duration};

use lawha_domain::Message;

use crate::messages;

/// How a command ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitKind {
    /// It exited with this status.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

impl ExitKind {
    /// How it ended, as a message.
    pub fn message(&self) -> Message {
        match self {
            Self::Code(code) => messages::exit_status(i64::from(*code)),
            Self::Signal(signal) => messages::killed_by_signal(i64::from(*signal)),
        }
    }
}

impl fmt::Display for ExitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "exit status {code}"),
            Self::Signal(signal) => write!(f, "signal {signal}"),
        }
    }
}

/// The file-system operation an [`EngineError::Io`] failed at (the key the locales put into words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoAction {
    /// Creating a folder or a file.
    Create,
    /// Reading a file.
    Read,
    /// Writing a file.
    Write,
    /// Renaming a file into place.
    Rename,
    /// Removing a file or a folder.
    Remove,
    /// Opening a file (an app's log).
    Open,
}

impl IoAction {
    /// The key (`create`, `read`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Read => "read",
            Self::Write => "write",
            Self::Rename => "rename",
            Self::Remove => "remove",
            Self::Open => "open",
        }
    }
}

/// The last answer of a health gate that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastAnswer {
    /// An HTTP status other than 200.
    Status(u16),
    /// No answer: the connection or the request failed (the client's words).
    Error(String),
}

/// Why an engine step failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A program that is not installed.
    #[error("{program} is not installed (Debian package {package})")]
    MissingTool {
        /// The program.
        program: String,
        /// The Debian package that provides it.
        package: String,
    },
    /// A program that could not be started for another reason.
    #[error("starting {program}: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// The system's words.
        reason: String,
    },
    /// A command ran and failed.
    #[error("{command} failed ({status})")]
    Failed {
        /// The command as it is shown (the shell command, or the program and its arguments).
        command: String,
        /// How it ended.
        status: ExitKind,
        /// Its last lines of output (stdout and stderr as they came).
        output: Vec<String>,
    },
    /// A command ran past its time limit; it was killed with its whole process group.
    #[error("{command} timed out after {}s", after.as_secs())]
    TimedOut {
        /// The command as it is shown.
        command: String,
        /// Its time limit.
        after: Duration,
        /// Its last lines of output.
        output: Vec<String>,
    },
    /// A file-system operation failed.
    #[error("{} {}: {source}", action.as_str(), path.display())]
    Io {
        /// What was being done.
        action: IoAction,
        /// To which path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A site, release or colour name that cannot be one folder's name (empty, `.`, `..`, a `/`, a NUL).
    #[error("{what} name {name:?} cannot name a folder")]
    InvalidName {
        /// `site`, `release` or `colour`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A site name that cannot name a systemd unit as it is (the `systemd` runtime).
    #[error("{0:?} cannot name a systemd unit")]
    InvalidUnit(String),
    /// A commit that is not 40 hexadecimal digits.
    #[error("{0:?} is not a commit")]
    InvalidCommit(String),
    /// A branch name git would read as an option or a pattern.
    #[error("{0:?} is not a branch name")]
    InvalidBranch(String),
    /// The folder to fetch into is not empty.
    #[error("{} is not empty", .0.display())]
    NotEmpty(PathBuf),
    /// git checked out another commit than the one asked for.
    #[error("asked for {requested}, checked out {fetched}")]
    CommitMismatch {
        /// The commit asked for.
        requested: String,
        /// The commit checked out.
        fetched: String,
    },
    /// The health gate's time ran out.
    #[error("{url} was not healthy within {}s: {last:?}", within.as_secs())]
    Unhealthy {
        /// The URL asked.
        url: String,
        /// How many answers 200 in a row were needed.
        needed: u32,
        /// The gate's deadline.
        within: Duration,
        /// The last answer.
        last: LastAnswer,
    },
    /// The switch failed; `restore` is `None` when the previous upstream was put back.
    #[error("switching to port {port} failed: {cause}")]
    Switch {
        /// The port switched to.
        port: u16,
        /// Why.
        cause: Box<EngineError>,
        /// Why putting the previous upstream back failed, if it did.
        restore: Option<Box<EngineError>>,
    },
    /// An upstream file that is not one `server 127.0.0.1:<port>;` line.
    #[error("{} is not an upstream line: {content:?}", path.display())]
    UpstreamUnreadable {
        /// The file.
        path: PathBuf,
        /// What it holds (at most 200 characters).
        content: String,
    },
    /// An app still runs after it was killed.
    #[error("{colour} still runs after SIGKILL")]
    StillRunning {
        /// The colour.
        colour: &'static str,
    },
    /// A release folder that exists already.
    #[error("{} exists already", .0.display())]
    ReleaseExists(PathBuf),
    /// The index of a site's releases does not decode.
    #[error("{}: {reason}", path.display())]
    ReleaseIndex {
        /// The index file.
        path: PathBuf,
        /// The decoder's words.
        reason: String,
    },
}

impl EngineError {
    /// An I/O failure at `path`.
    pub fn io(action: IoAction, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io { action, path: path.into(), source }
    }

    /// The last lines of output of a failed or timed-out command (empty for the other failures): the log tail a
    /// deployment records.
    pub fn output(&self) -> &[String] {
        match self {
            Self::Failed { output, .. } | Self::TimedOut { output, .. } => output,
            Self::Switch { cause, .. } => cause.output(),
            _ => &[],
        }
    }

    /// What people read: the failure as a code with its arguments.
    pub fn message(&self) -> Message {
        match self {
            Self::MissingTool { program, package } => messages::missing_tool(program, package),
            Self::Spawn { program, reason } => messages::spawn_failed(program, reason),
            Self::Failed { command, status, output } if output.is_empty() => {
                messages::command_failed_no_output(command, status.message())
            }
            Self::Failed { command, status, output } => {
                messages::command_failed(command, status.message(), output.join("\n"))
            }
            Self::TimedOut { command, after, output } if output.is_empty() => {
                messages::command_timed_out_no_output(command, seconds(*after))
            }
            Self::TimedOut { command, after, output } => {
                messages::command_timed_out(command, seconds(*after), output.join("\n"))
            }
            Self::Io { action, path, source } => messages::io_failed(action.as_str(), path, source.to_string()),
            Self::InvalidName { what, name } => messages::name_invalid(*what, name),
            Self::InvalidUnit(site) => messages::unit_name_invalid(site),
            Self::InvalidCommit(commit) => messages::commit_invalid(commit),
            Self::InvalidBranch(branch) => messages::branch_invalid(branch),
            Self::NotEmpty(path) => messages::folder_not_empty(path),
            Self::CommitMismatch { requested, fetched } => messages::commit_mismatch(requested, fetched),
            Self::Unhealthy { url, needed, within, last: LastAnswer::Status(status) } => {
                messages::unhealthy_status(url, *needed, seconds(*within), *status)
            }
            Self::Unhealthy { url, needed, within, last: LastAnswer::Error(reason) } => {
                messages::unhealthy_error(url, *needed, seconds(*within), reason)
            }
            Self::Switch { port, cause, restore: None } => messages::switch_failed(*port, cause.message()),
            Self::Switch { port, cause, restore: Some(restore) } => {
                messages::switch_failed_unrestored(*port, cause.message(), restore.message())
            }
            Self::UpstreamUnreadable { path, content } => messages::upstream_unreadable(path, content),
            Self::StillRunning { colour } => messages::still_running(*colour),
            Self::ReleaseExists(path) => messages::release_exists(path),
            Self::ReleaseIndex { path, reason } => messages::release_index_invalid(path, reason),
        }
    }
}

/// Whole seconds for a message, rounded up: a limit of 800 ms is "1 s", never "0 s".
fn seconds(duration: Duration) -> u64 {
    duration.as_millis().div_ceil(1000).try_into().unwrap_or(u64::MAX)
}

/// A name that is safe as one folder's name: not empty, not `.` or `..`, no `/` or NUL, at most 255 bytes.
pub(crate) fn folder_name<'a>(what: &'static str, name: &'a str) -> Result<&'a str, EngineError> {
    let ok = !name.is_empty() && name.len() <= 255 && name != "." && name != ".." && !name.contains(['/', '\0']);
    if ok { Ok(name) } else { Err(EngineError::InvalidName { what, name: name.to_owned() }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_folder_names_pass() {
        for good in ["app", "my.site", "a..b", "0193a0c2-7e4f-7000-8000-000000000000"] {
            assert_eq!(folder_name("site", good).unwrap(), good);
        }
        for bad in ["", ".", "..", "a/b", "/", "a\0b"] {
            assert!(matches!(folder_name("site", bad), Err(EngineError::InvalidName { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_failure_without_output_says_so_and_a_switch_failure_nests_its_cause() {
        let failed = EngineError::Failed { command: "npm ci".into(), status: ExitKind::Code(1), output: vec![] };
        assert_eq!(failed.message(), messages::command_failed_no_output("npm ci", messages::exit_status(1)));
        let switch = EngineError::Switch { port: 8081, cause: Box::new(failed), restore: None };
        assert_eq!(
            switch.message(),
            messages::switch_failed(8081, messages::command_failed_no_output("npm ci", messages::exit_status(1)))
        );
    }
}
