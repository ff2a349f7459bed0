//! A site's release folders, `<releases_dir>/<site>/<release>`, and their pruning.
//!
//! Which release is newer is recorded, not guessed: `<releases_dir>/<site>/.index.json` lists the releases in the
//! order they were created (a folder's mtime changes whenever a build writes into it, and clocks move). A
//! release is recorded before its folder is made, so a crash between the two leaves an entry without a folder,
//! which pruning forgets; a folder the index does not know (made by hand) is never touched. Release names are
//! the caller's (a deployment's id); they may not start with `.`, which keeps the index's name for the index.
//!
//! Pruning keeps the newest `keep` releases and, whatever their age, the ones the caller protects: the release
//! that serves and the one being deployed. The index is changed by one call at a time within the worker; two
//! workers must not deploy the same site at once (the deployment's lock, the handlers').

use std::path::{Path, PathBuf};

use lawha_domain::Message;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc::UnboundedSender};

use super::{
    EngineError, IoAction,
    error::folder_name,
    fsutil::{read_if_exists, write_atomically},
};
use crate::messages;

/// The index's file name in a site's folder.
const INDEX: &str = ".index.json";

/// Serialises the index's read-modify-write within the worker.
static INDEXING: Mutex<()> = Mutex::const_new(());

/// What the index holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    /// The releases, oldest first.
    releases: Vec<String>,
}

/// The releases of every site under one folder.
#[derive(Debug, Clone)]
pub struct Releases {
    /// `<releases_dir>`.
    root: PathBuf,
}

impl Releases {
    /// The releases under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// A site's folder.
    pub fn site_dir(&self, site: &str) -> Result<PathBuf, EngineError> {
        Ok(self.root.join(folder_name("site", site)?))
    }

    /// A release's folder (whether or not it exists).
    pub fn path(&self, site: &str, release: &str) -> Result<PathBuf, EngineError> {
        Ok(self.site_dir(site)?.join(release_name(release)?))
    }

    /// Records a new release as the newest and creates its empty folder; it must not exist yet.
    pub async fn create(&self, site: &str, release: &str) -> Result<PathBuf, EngineError> {
        let path = self.path(site, release)?;
        let _one_at_a_time = INDEXING.lock().await;
        match tokio::fs::try_exists(&path).await {
            Ok(false) => {}
            Ok(true) => return Err(EngineError::ReleaseExists(path)),
            Err(e) => return Err(EngineError::io(IoAction::Read, &path, e)),
        }
        let index_path = self.site_dir(site)?.join(INDEX);
        let mut index = read_index(&index_path).await?;
        index.releases.retain(|r| r != release);
        index.releases.push(release.to_owned());
        write_index(&index_path, &index).await?;
        tokio::fs::create_dir(&path).await.map_err(|e| EngineError::io(IoAction::Create, &path, e))?;
        Ok(path)
    }

    /// A site's recorded releases, oldest first.
    pub async fn list(&self, site: &str) -> Result<Vec<String>, EngineError> {
        Ok(read_index(&self.site_dir(site)?.join(INDEX)).await?.releases)
    }

    /// Removes every release of `site` but the newest `keep` and those in `protect`; returns the removed ones'
    /// names, oldest first, each also announced in `log`.
    pub async fn prune(
        &self,
        site: &str,
        keep: usize,
        protect: &[&str],
        log: &UnboundedSender<Message>,
    ) -> Result<Vec<String>, EngineError> {
        let site_dir = self.site_dir(site)?;
        let index_path = site_dir.join(INDEX);
        let _one_at_a_time = INDEXING.lock().await;
        let mut index = read_index(&index_path).await?;
        let newest = index.releases.len().saturating_sub(keep);
        let doomed: Vec<String> =
            index.releases[..newest].iter().filter(|release| !protect.contains(&release.as_str())).cloned().collect();
        let mut removed = Vec::new();
        let mut failure = None;
        for release in doomed {
            let path = site_dir.join(release_name(&release)?);
            match tokio::fs::remove_dir_all(&path).await {
                Ok(()) => {
                    let _ = log.send(messages::release_pruned(&path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    failure = Some(EngineError::io(IoAction::Remove, &path, e));
                    break;
                }
            }
            removed.push(release);
        }
        index.releases.retain(|release| !removed.contains(release));
        write_index(&index_path, &index).await?;
        match failure {
            Some(e) => Err(e),
            None => Ok(removed),
        }
    }
}

/// A release name: a folder name that does not start with `.`.
fn release_name(release: &str) -> Result<&str, EngineError> {
    let name = folder_name("release", release)?;
    if name.starts_with('.') {
        return Err(EngineError::InvalidName { what: "release", name: name.to_owned() });
    }
    Ok(name)
}

async fn read_index(path: &Path) -> Result<Index, EngineError> {
    let Some(bytes) = read_if_exists(path).await? else { return Ok(Index::default()) };
    serde_json::from_slice(&bytes)
        .map_err(|e| EngineError::ReleaseIndex { path: path.to_owned(), reason: e.to_string() })
}

async fn write_index(path: &Path, index: &Index) -> Result<(), EngineError> {
    let mut bytes = serde_json::to_vec_pretty(index)
        .map_err(|e| EngineError::ReleaseIndex { path: path.to_owned(), reason: e.to_string() })?;
    bytes.push(b'\n');
    write_atomically(path, &bytes).await
}
