//! The listing of a plan's folder: its archives, found by their names (`crate::naming`).

use std::{fs, io, path::Path, path::PathBuf};

use chrono::{DateTime, Utc};
use lawha_domain::Message;
use uuid::Uuid;

use crate::{
    BackupError,
    manifest::{Manifest, manifest_path},
    messages::{self, actions},
    naming::parse_archive_name,
};

/// One archive found in a plan's folder.
#[derive(Debug, Clone)]
pub struct StoredBackup {
    /// The archive.
    pub archive_path: PathBuf,
    /// The run, from the file name.
    pub run_id: Uuid,
    /// When the run started, from the file name.
    pub created_at: DateTime<Utc>,
    /// The file's size now.
    pub size: u64,
    /// The manifest beside it when it exists and parses (its signature is not checked here).
    pub manifest: Option<Manifest>,
    /// Why there is no manifest: none beside the archive, the system's error reading it, or what parsing found.
    pub manifest_problem: Option<Message>,
}

/// The archives under final names in `plan_folder`, oldest first. A missing folder is an empty list; temporary
/// files and manifests are not archives.
pub fn list(plan_folder: &Path) -> Result<Vec<StoredBackup>, BackupError> {
    let entries = match fs::read_dir(plan_folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::io(actions::LISTING_THE_BACKUP_FOLDER, plan_folder, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(actions::LISTING_THE_BACKUP_FOLDER, plan_folder, e))?;
        let name = entry.file_name();
        let Some((created_at, run_id)) = name.to_str().and_then(parse_archive_name) else { continue };
        let archive_path = entry.path();
        let metadata = match fs::symlink_metadata(&archive_path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BackupError::io(actions::READING, &archive_path, e)),
        };
        let (manifest, manifest_problem) = match fs::read(manifest_path(&archive_path)) {
            Ok(bytes) => match Manifest::parse(&bytes) {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e)),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => (None, Some(messages::manifest_none_beside())),
            // The system's description of the failure is data, shown as it is.
            Err(e) => (None, Some(Message::text(e.to_string()))),
        };
        found.push(StoredBackup { archive_path, run_id, created_at, size: metadata.len(), manifest, manifest_problem });
    }
    found.sort_by(|a, b| (a.created_at, &a.archive_path).cmp(&(b.created_at, &b.archive_path)));
    Ok(found)
}
