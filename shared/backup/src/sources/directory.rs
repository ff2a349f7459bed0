//! A folder as a tar stream. The walk is our own (sorted, depth first, symlinks never followed) so that what
//! cannot be backed up is recorded and skipped instead of failing the backup: a socket, a FIFO, a device, an
//! unreadable file or sub-folder, a file that vanished. Only an unreadable top folder fails. Entries keep their
//! mode, owner (uid/gid), mtime (whole seconds) and symlinks stay links; files with several hard links are
//! stored once and linked after. Paths are relative to the root. Paths the panel protects inside the folder
//! ([`DirectorySource::leaving_out`]) are left out and recorded as such.

mod tar_out;

use std::{
    collections::HashMap,
    fs, io,
    io::Write,
    os::unix::fs::{FileTypeExt as _, MetadataExt as _},
    path::{Path, PathBuf},
};

use lawha_domain::Message;
use tar_out::{FileOutcome, TarOut};

use super::{Source, SourceDescription, SourceStats};
use crate::{
    BackupError,
    messages::{self, actions},
};

/// Backs up one folder.
#[derive(Debug, Clone)]
pub struct DirectorySource {
    root: PathBuf,
    /// The root resolved, which the walk's paths are compared with [`Self::left_out`] under.
    resolved: PathBuf,
    /// Resolved paths inside the folder that are not backed up (the panel's own secrets and data).
    left_out: Vec<PathBuf>,
}

impl DirectorySource {
    /// A source for `path`, which must be a folder this process can list (a symlink to one is followed).
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, BackupError> {
        let root = path.into();
        match fs::metadata(&root) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BackupError::Invalid(messages::source_folder_missing(&root)));
            }
            Err(e) => return Err(BackupError::io(actions::READING_THE_SOURCE_FOLDER, &root, e)),
            Ok(meta) if !meta.is_dir() => return Err(BackupError::Invalid(messages::source_not_a_folder(&root))),
            Ok(_) => {}
        }
        fs::read_dir(&root).map_err(|e| BackupError::io(actions::LISTING_THE_SOURCE_FOLDER, &root, e))?;
        let resolved =
            fs::canonicalize(&root).map_err(|e| BackupError::io(actions::READING_THE_SOURCE_FOLDER, &root, e))?;
        Ok(Self { root, resolved, left_out: Vec::new() })
    }

    /// Leaves out `paths` (resolved, as `PathPolicy::left_out_of` gives them): each is recorded as skipped
    /// instead of read. The walk never follows a symlink below the root, so a path it meets is the real one.
    pub fn leaving_out(mut self, paths: Vec<PathBuf>) -> Self {
        self.left_out = paths;
        self
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Source for DirectorySource {
    fn describe(&self) -> SourceDescription {
        SourceDescription { kind: "directory".into(), location: self.root.display().to_string() }
    }

    fn extension(&self) -> &'static str {
        "tar"
    }

    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError> {
        Ok(Vec::new())
    }

    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError> {
        let mut tar = TarOut::new(out, &self.root);
        let mut stats = SourceStats::default();
        // Hard-linked files seen so far, by (device, inode): later names become link entries.
        let mut first_names: HashMap<(u64, u64), PathBuf> = HashMap::new();
        let mut pending = vec![PathBuf::new()];
        while let Some(rel_dir) = pending.pop() {
            let abs_dir = self.root.join(&rel_dir);
            let names = match sorted_names(&abs_dir) {
                Ok(names) => names,
                Err(e) if rel_dir.as_os_str().is_empty() => {
                    return Err(BackupError::io(actions::LISTING_THE_SOURCE_FOLDER, &self.root, e));
                }
                Err(e) => {
                    stats.skipped.push(unreadable(&rel_dir, &e, Unreadable::Folder));
                    continue;
                }
            };
            let mut subdirs = Vec::new();
            for name in names {
                let (rel, abs) = (rel_dir.join(&name), abs_dir.join(&name));
                if !self.left_out.is_empty() && self.left_out.contains(&self.resolved.join(&rel)) {
                    stats.skipped.push(messages::skipped_protected(&rel));
                    continue;
                }
                let meta = match fs::symlink_metadata(&abs) {
                    Ok(meta) => meta,
                    Err(e) => {
                        stats.skipped.push(unreadable(&rel, &e, Unreadable::Entry));
                        continue;
                    }
                };
                let kind = meta.file_type();
                if kind.is_dir() {
                    tar.dir(&meta, &rel)?;
                    subdirs.push(rel);
                } else if kind.is_symlink() {
                    match fs::read_link(&abs) {
                        Ok(target) => tar.symlink(&meta, &rel, &target)?,
                        Err(e) => {
                            stats.skipped.push(unreadable(&rel, &e, Unreadable::Entry));
                            continue;
                        }
                    }
                } else if kind.is_file() {
                    let inode = (meta.dev(), meta.ino());
                    if meta.nlink() > 1
                        && let Some(first) = first_names.get(&inode)
                    {
                        tar.hardlink(&meta, &rel, first)?;
                    } else {
                        match tar.file(&meta, &rel, &abs)? {
                            FileOutcome::Complete => {}
                            FileOutcome::Incomplete(why) => stats.skipped.push(why),
                            FileOutcome::Skipped(why) => {
                                stats.skipped.push(why);
                                continue;
                            }
                        }
                        if meta.nlink() > 1 {
                            first_names.insert(inode, rel.clone());
                        }
                    }
                } else {
                    stats.skipped.push(special_kind(&kind, &rel));
                    continue;
                }
                stats.entries += 1;
            }
            pending.extend(subdirs.into_iter().rev());
        }
        stats.bytes = tar.finish()?;
        Ok(stats)
    }
}

/// The names in a folder, sorted so that two backups of the same tree are the same stream.
fn sorted_names(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)?.map(|e| e.map(|e| e.file_name())).collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// Why `rel`, which is not a file, a folder or a symlink, was left out.
fn special_kind(kind: &fs::FileType, rel: &Path) -> Message {
    if kind.is_socket() {
        messages::skipped_socket(rel)
    } else if kind.is_fifo() {
        messages::skipped_fifo(rel)
    } else if kind.is_char_device() {
        messages::skipped_char_device(rel)
    } else if kind.is_block_device() {
        messages::skipped_block_device(rel)
    } else {
        messages::skipped_unknown_kind(rel)
    }
}

/// What could not be read: a folder's listing, or an entry (its metadata, a link, a file's contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unreadable {
    /// A folder that could not be listed.
    Folder,
    /// A file, a link or a sub-folder whose metadata or contents could not be read.
    Entry,
}

/// Why `rel` was left out after `e`: the two common causes get messages of their own, any other error is
/// reported with the system's own words.
fn unreadable(rel: &Path, e: &io::Error, what: Unreadable) -> Message {
    match (e.kind(), what) {
        (io::ErrorKind::PermissionDenied, _) => messages::skipped_permission_denied(rel),
        (io::ErrorKind::NotFound, _) => messages::skipped_vanished(rel),
        (_, Unreadable::Folder) => messages::skipped_unlistable(rel, e.to_string()),
        (_, Unreadable::Entry) => messages::skipped_unreadable(rel, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_path_is_skipped_with_the_message_of_its_cause() {
        let rel = Path::new("site/secret.key");
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(unreadable(rel, &denied, Unreadable::Entry), messages::skipped_permission_denied(rel));
        let gone = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(unreadable(rel, &gone, Unreadable::Folder), messages::skipped_vanished(rel));
        let other = io::Error::from_raw_os_error(5);
        let reason = other.to_string();
        assert_eq!(unreadable(rel, &other, Unreadable::Folder), messages::skipped_unlistable(rel, reason.as_str()));
        assert_eq!(unreadable(rel, &other, Unreadable::Entry), messages::skipped_unreadable(rel, reason));
    }
}
