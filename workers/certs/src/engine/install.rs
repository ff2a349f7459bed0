//! Installing a certificate where nginx reads it: `<dir>/<certificate id>/fullchain.pem` and `privkey.pem`
//! (0600), each written atomically, the pair served before kept as `*.previous`; then nginx's configuration is
//! tested and nginx reloaded. When the test or the reload fails the previous pair is put back, so nginx keeps
//! serving the old certificate, and the reason is nginx's own last lines.
//!
//! An issued certificate is first staged in `<dir>/<id>/pending/` (before the panel records it as issued), so
//! a job redelivered after a crash installs it without ordering again.
//!
//! Architecture Invariant: nothing is written outside `certificates.dir`, and `certificates.dir` is never a
//! system folder nor a parent of one ([`super::fsutil::check_dir`]).

use std::{path::PathBuf, process::Stdio, time::Duration};

use lawha_domain::{Message, certificates::OrderStep};
use uuid::Uuid;

use super::{EngineError, fsutil, hook::tail};
use crate::messages;

/// The chain's file name.
pub const CHAIN: &str = "fullchain.pem";
/// The key's file name.
pub const KEY: &str = "privkey.pem";
/// The staging folder's name.
pub const PENDING: &str = "pending";
/// How long nginx's test or reload may take.
const NGINX_TIMEOUT: Duration = Duration::from_secs(60);

/// Where certificates go and how nginx is told.
#[derive(Debug, Clone)]
pub struct Installer {
    /// `certificates.dir`.
    pub dir: PathBuf,
    /// nginx's configuration test (words; empty: none).
    pub nginx_test: Vec<String>,
    /// nginx's reload (words; empty: none).
    pub nginx_reload: Vec<String>,
}

/// Where a certificate was installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The chain's file.
    pub certificate_path: PathBuf,
    /// The key's file.
    pub key_path: PathBuf,
    /// Whether nginx was tested and reloaded.
    pub nginx_reloaded: bool,
}

/// A failure of the installation step (none is passing: the files or nginx need a person).
fn failed(reason: Message) -> EngineError {
    EngineError::permanent(OrderStep::Install, reason)
}

impl Installer {
    /// `<dir>/<id>/<parts…>`, guarded.
    fn path(&self, id: Uuid, parts: &[&str]) -> Result<PathBuf, EngineError> {
        let id = id.to_string();
        let all: Vec<&str> = std::iter::once(id.as_str()).chain(parts.iter().copied()).collect();
        fsutil::under(&self.dir, &all).map_err(failed)
    }

    /// Stages an issued chain and key in `<dir>/<id>/pending/`.
    pub fn stage(&self, id: Uuid, chain: &str, key: &str) -> Result<(), EngineError> {
        let pending = self.path(id, &[PENDING])?;
        fsutil::create_dir(&pending, 0o700).map_err(failed)?;
        fsutil::write_atomic(&pending.join(KEY), key.as_bytes(), 0o600).map_err(failed)?;
        fsutil::write_atomic(&pending.join(CHAIN), chain.as_bytes(), 0o600).map_err(failed)
    }

    /// The staged chain and key, if both are there.
    pub fn staged(&self, id: Uuid) -> Result<Option<(String, String)>, EngineError> {
        let pending = self.path(id, &[PENDING])?;
        let read = |name: &str| fsutil::read_optional(&pending.join(name)).map_err(failed);
        Ok(match (read(CHAIN)?, read(KEY)?) {
            (Some(chain), Some(key)) => {
                Some((String::from_utf8_lossy(&chain).into_owned(), String::from_utf8_lossy(&key).into_owned()))
            }
            _ => None,
        })
    }

    /// Installs the staged pair of certificate `id` (see the module's documentation), then removes the stage.
    pub async fn install(&self, id: Uuid, chain: &str, key: &str) -> Result<Installed, EngineError> {
        let (chain_path, key_path) = (self.path(id, &[CHAIN])?, self.path(id, &[KEY])?);
        let folder = self.path(id, &[])?;
        fsutil::create_dir(&folder, 0o755).map_err(failed)?;
        let previous = |path: &PathBuf| path.with_extension("pem.previous");
        let mut kept = Vec::new();
        for path in [&chain_path, &key_path] {
            if let Some(bytes) = fsutil::read_optional(path).map_err(failed)? {
                fsutil::write_atomic(&previous(path), &bytes, 0o600).map_err(failed)?;
                kept.push(path.clone());
            }
        }
        // The key first: nginx never reads a new chain with an old key from these two writes' order alone, and
        // the test below catches a mismatched pair anyway.
        fsutil::write_atomic(&key_path, key.as_bytes(), 0o600).map_err(failed)?;
        fsutil::write_atomic(&chain_path, chain.as_bytes(), 0o644).map_err(failed)?;
        let nginx = async {
            run(&self.nginx_test).await.map_err(messages::nginx_test_failed)?;
            run(&self.nginx_reload).await.map_err(messages::nginx_reload_failed)
        };
        if let Err(reason) = nginx.await {
            for path in [&chain_path, &key_path] {
                let restored = if kept.contains(path) {
                    std::fs::rename(previous(path), path)
                } else {
                    std::fs::remove_file(path)
                };
                if let Err(e) = restored {
                    tracing::error!(path = %path.display(), error = %e, "could not put the previous file back");
                }
            }
            if !kept.is_empty() && !self.nginx_reload.is_empty() {
                // nginx may have read the new pair before it failed: reload it with the old one.
                let _ = run(&self.nginx_reload).await;
            }
            return Err(failed(reason));
        }
        if let Ok(pending) = self.path(id, &[PENDING]) {
            let _ = std::fs::remove_dir_all(pending);
        }
        fsutil::sync_dir(&folder);
        let nginx_reloaded = !self.nginx_test.is_empty() || !self.nginx_reload.is_empty();
        Ok(Installed { certificate_path: chain_path, key_path, nginx_reloaded })
    }
}

/// Runs a command given as words; Err with its last lines when it fails. No words: nothing to run.
async fn run(words: &[String]) -> Result<(), String> {
    let Some((program, args)) = words.split_first() else { return Ok(()) };
    let mut command = tokio::process::Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let output = match tokio::time::timeout(NGINX_TIMEOUT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("{program}: {e}")),
        Err(_) => return Err(format!("{program}: timed out after {} s", NGINX_TIMEOUT.as_secs())),
    };
    if output.status.success() {
        return Ok(());
    }
    let mut all = output.stderr;
    all.extend_from_slice(&output.stdout);
    Err(tail(&all))
}
