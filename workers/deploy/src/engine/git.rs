//! Fetching exactly one commit into a fresh folder with the `git` CLI: `git init`, `git fetch --depth 1` of the
//! commit (or of `refs/heads/<branch>`), a detached checkout, and the full commit id from `git rev-parse HEAD`.
//! No history, no tags, no other branch: a release is one tree.
//!
//! Fetching a commit by its id needs the server to allow it. With protocol v2, which every fetch here asks for
//! (`-c protocol.version=2`), git's own `upload-pack` serves any commit reachable from a ref (this covers
//! `file://` and `ssh://` repositories and GitHub). An old server that only speaks protocol v0 refuses ids it
//! did not advertise ("Server does not allow request for unadvertised object") unless the serving repository
//! sets `uploadpack.allowReachableSHA1InWant=true`.
//!
//! git runs with [`base_env`](super::command::base_env) only, plus `GIT_TERMINAL_PROMPT=0` (a repository that wants a password
//! fails at once instead of waiting for a terminal) and, for a deploy key, `GIT_SSH_COMMAND` with
//! `ssh -i <key> -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes` (the first
//! connection records the host's key in the worker's `~/.ssh/known_hosts`; a changed key fails). The URL comes
//! after `--end-of-options`, so a repository "named" `--upload-pack=…` is never an option. One time limit covers
//! the four steps; a step that runs past it is killed with its group (ssh included).

use std::{
    path::Path,
    time::{Duration, Instant},
};

use lawha_domain::Message;
use tokio::sync::mpsc::UnboundedSender;

use super::{EngineError, IoAction, command::Process};
use crate::messages;

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// One commit, by its full id (40 hexadecimal digits).
    Commit(String),
    /// The commit a branch points at now.
    Branch(String),
}

impl Reference {
    /// What `git fetch` is given: the commit id, or `refs/heads/<branch>`.
    fn refspec(&self) -> Result<String, EngineError> {
        match self {
            Self::Commit(commit) => {
                let ok = commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit());
                if ok { Ok(commit.to_ascii_lowercase()) } else { Err(EngineError::InvalidCommit(commit.clone())) }
            }
            Self::Branch(branch) => {
                let bad = branch.is_empty()
                    || branch.starts_with(['-', '/'])
                    || branch.contains(['*', '?', '[', ':', '^', '~', ' ', '\\', '\0'])
                    || branch.contains("..");
                if bad { Err(EngineError::InvalidBranch(branch.clone())) } else { Ok(format!("refs/heads/{branch}")) }
            }
        }
    }

    /// How the log names it.
    fn shown(&self) -> &str {
        match self {
            Self::Commit(commit) | Self::Branch(commit) => commit,
        }
    }
}

/// One fetch.
#[derive(Debug, Clone)]
pub struct Fetch<'a> {
    /// The repository's URL (`https://…`, `git@host:path`, `ssh://…`, `file:///…`).
    pub repository: &'a str,
    /// The commit, or the branch.
    pub reference: Reference,
    /// The folder the commit is checked out into: absent or empty.
    pub dest: &'a Path,
    /// The SSH private key to fetch with, as a file only the worker can read.
    pub deploy_key: Option<&'a Path>,
    /// The time limit of the whole fetch.
    pub timeout: Duration,
}

/// The value of `GIT_SSH_COMMAND` for a deploy key (git runs it with the shell, so the path is quoted).
pub fn ssh_command(key: &Path) -> String {
    let quoted = key.display().to_string().replace('\'', r"'\''");
    format!("ssh -i '{quoted}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes")
}

/// Fetches the commit into `fetch.dest` and checks it out; returns its full id (40 lowercase hexadecimal
/// digits). A commit asked for by id that is not the one checked out is an error.
pub async fn fetch(fetch: &Fetch<'_>, log: &UnboundedSender<Message>) -> Result<String, EngineError> {
    let refspec = fetch.reference.refspec()?;
    prepare(fetch.dest).await?;
    let _ = log.send(messages::fetching(fetch.repository, fetch.reference.shown()));
    let deadline = Instant::now() + fetch.timeout;
    let git = |args: &[&str]| {
        let mut process = Process::new("git", "git")
            .arg("-C")
            .arg(fetch.dest.display().to_string())
            .args(args.iter().copied())
            .env("GIT_TERMINAL_PROMPT", "0")
            .timeout(deadline.saturating_duration_since(Instant::now()));
        if let Some(key) = fetch.deploy_key {
            process = process.env("GIT_SSH_COMMAND", ssh_command(key));
        }
        process
    };
    // A step that runs out of time reports the fetch's whole time limit, not what was left of it.
    let whole = |e| match e {
        EngineError::TimedOut { command, output, .. } => {
            EngineError::TimedOut { command, after: fetch.timeout, output }
        }
        other => other,
    };
    git(&["-c", "init.defaultBranch=main", "init", "--quiet"]).run(log).await.map_err(whole)?;
    let fetch_args = ["-c", "protocol.version=2", "fetch", "--depth", "1", "--no-tags", "--end-of-options"];
    git(&fetch_args).arg(fetch.repository).arg(&refspec).run(log).await.map_err(whole)?;
    git(&["checkout", "--quiet", "--detach", "FETCH_HEAD"]).run(log).await.map_err(whole)?;
    let head = git(&["rev-parse", "HEAD"]).output(log).await.map_err(whole)?.trim().to_owned();
    if let Reference::Commit(_) = fetch.reference
        && head != refspec
    {
        return Err(EngineError::CommitMismatch { requested: refspec, fetched: head });
    }
    let _ = log.send(messages::fetched(&head));
    Ok(head)
}

/// Creates the folder, or checks that it is empty.
async fn prepare(dest: &Path) -> Result<(), EngineError> {
    tokio::fs::create_dir_all(dest).await.map_err(|e| EngineError::io(IoAction::Create, dest, e))?;
    let mut entries = tokio::fs::read_dir(dest).await.map_err(|e| EngineError::io(IoAction::Read, dest, e))?;
    match entries.next_entry().await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(EngineError::NotEmpty(dest.to_owned())),
        Err(e) => Err(EngineError::io(IoAction::Read, dest, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_refspecs_and_odd_ones_are_refused() {
        let sha = "0123456789ABCDEF0123456789abcdef01234567";
        assert_eq!(Reference::Commit(sha.into()).refspec().unwrap(), sha.to_ascii_lowercase());
        assert_eq!(Reference::Branch("release/v2".into()).refspec().unwrap(), "refs/heads/release/v2");
        assert!(matches!(Reference::Commit("abc".into()).refspec(), Err(EngineError::InvalidCommit(_))));
        for bad in ["", "--upload-pack=x", "a..b", "x:y", "a b"] {
            assert!(matches!(Reference::Branch(bad.into()).refspec(), Err(EngineError::InvalidBranch(_))), "{bad}");
        }
    }

    #[test]
    fn the_deploy_key_path_is_quoted_for_the_shell() {
        let command = ssh_command(Path::new("/var/lib/lawha/keys/it's key"));
        assert_eq!(
            command,
            "ssh -i '/var/lib/lawha/keys/it'\\''s key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new \
             -o BatchMode=yes"
        );
    }
}
