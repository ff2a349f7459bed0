//! The steps that make a release: fetch the commit (the one asked for, or the branch's head) into a new release
//! folder, then run the site's build command in it. A rollback does neither: its release is on disk already.

use std::path::{Path, PathBuf};

use lawha_domain::deployments::DeploymentEvent;
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use super::{Attempt, StepError};
use crate::{
    engine::{
        EngineError, IoAction, command,
        git::{self, Fetch, Reference},
    },
    messages,
    target::Target,
};

impl Attempt<'_> {
    /// Fetch: the job's release folder, made afresh (a killed attempt's leftover is removed first), with the
    /// commit checked out in it.
    pub(super) async fn fetch(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let (deps, name) = (self.deps, target.spec.name.as_str());
        let release = self.release_id().to_string();
        let dir = deps.releases.path(name, &release)?;
        if tokio::fs::try_exists(&dir).await.map_err(|e| EngineError::io(IoAction::Read, &dir, e))? {
            tokio::fs::remove_dir_all(&dir).await.map_err(|e| EngineError::io(IoAction::Remove, &dir, e))?;
            self.say(messages::release_replaced(&dir));
        }
        deps.releases.create(name, &release).await?;
        let key = match &target.deploy_key {
            Some(pem) => Some(KeyFile::write(&deps.state_dir, pem).await?),
            None => None,
        };
        let reference = match &self.state.requested_commit {
            Some(commit) => Reference::Commit(commit.clone()),
            None => Reference::Branch(target.spec.branch.clone()),
        };
        let request = Fetch {
            repository: &target.spec.repository,
            reference,
            dest: &dir,
            deploy_key: key.as_ref().map(KeyFile::path),
            timeout: deps.fetch_timeout,
        };
        let commit = git::fetch(&request, self.log).await;
        drop(key);
        Ok(DeploymentEvent::DeploymentFetched { commit: commit? })
    }

    /// Build: the site's build command in the release's folder, with the site's environment; nothing when the
    /// site has none.
    pub(super) async fn build(&mut self, target: &Target) -> Result<DeploymentEvent, StepError> {
        let dir = self.release_dir(target).await?;
        match &target.spec.build_command {
            Some(build) => {
                command::build(build, &dir, &target.env, self.deps.build_timeout, self.log).await?;
            }
            None => self.say(messages::no_build_command()),
        }
        Ok(DeploymentEvent::DeploymentBuilt { release_id: self.release_id() })
    }
}

/// How a deploy key's file is named in the state folder: `.deploy-key-<uuid>` (a site's folder there starts with
/// a letter or a digit, so the two never meet).
const KEY_PREFIX: &str = ".deploy-key-";

/// Removes the deploy keys in `dir` last written more than `older_than` ago; returns how many.
pub(crate) async fn remove_stale_keys(dir: &Path, older_than: std::time::Duration) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else { return 0 };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let is_key = entry.file_name().to_string_lossy().starts_with(KEY_PREFIX);
        let age = entry.metadata().await.ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if is_key && age.is_some_and(|age| age >= older_than) && tokio::fs::remove_file(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The deploy key as a file only the worker can read (0600), outside every release folder, for the length of a
/// fetch; removed when dropped, whether the fetch succeeded, failed, or the job was cancelled. Only a killed
/// worker leaves one behind, which [`crate::Deps::remove_stale_deploy_keys`] removes when the next one starts.
#[derive(Debug)]
struct KeyFile(PathBuf);

impl KeyFile {
    /// Writes `pem` (ending in a newline, which ssh insists on) to a new file in `dir`.
    async fn write(dir: &Path, pem: &str) -> Result<Self, EngineError> {
        tokio::fs::create_dir_all(dir).await.map_err(|e| EngineError::io(IoAction::Create, dir, e))?;
        let file = Self(dir.join(format!("{KEY_PREFIX}{}", Uuid::new_v4())));
        let mut open = tokio::fs::OpenOptions::new();
        open.write(true).create_new(true).mode(0o600);
        let mut handle = open.open(&file.0).await.map_err(|e| EngineError::io(IoAction::Create, &file.0, e))?;
        let text = format!("{}\n", pem.trim_end());
        handle.write_all(text.as_bytes()).await.map_err(|e| EngineError::io(IoAction::Write, &file.0, e))?;
        handle.flush().await.map_err(|e| EngineError::io(IoAction::Write, &file.0, e))?;
        Ok(file)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[tokio::test]
    async fn a_deploy_key_is_readable_by_the_worker_alone_and_gone_once_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let key =
            KeyFile::write(&dir.path().join("state"), "-----BEGIN KEY-----\nabc\n-----END KEY-----").await.unwrap();
        let path = key.path().to_owned();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("-----END KEY-----\n"));
        drop(key);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn only_deploy_keys_past_their_age_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let kept = KeyFile::write(dir.path(), "key").await.unwrap();
        std::fs::create_dir(dir.path().join("shop")).unwrap();
        assert_eq!(remove_stale_keys(dir.path(), std::time::Duration::from_secs(3600)).await, 0);
        assert!(kept.path().exists(), "a fetch's key is young");
        assert_eq!(remove_stale_keys(dir.path(), std::time::Duration::ZERO).await, 1);
        assert!(!kept.path().exists() && dir.path().join("shop").exists(), "only the key went");
    }
}
