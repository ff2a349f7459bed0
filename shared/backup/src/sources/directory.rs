//! A folder as a tar stream. The walk is our own (sorted, depth first, symlinks never followed) so that what
//! cannot be backed up is recorded and skipped instead of failing the backup: a socket, a FIFO, a device, an
//! unreadable file or sub-folder, a file that vanished. Only an unreadable top folder fails. Entries keep their
//! mode, owner (uid/gid), mtime (whole seconds) and symlinks stay links; files with several hard links are
//! stored once and linked after. Paths are relative to the root.

mod tar_out;

use std::{
    collections::HashMap,
    fs, io,
    io::Write,
    os::unix::fs::{FileTypeExt as _, MetadataExt as _},
    path::{Path, PathBuf},
};

use tar_out::{FileOutcome, TarOut};

use super::{Source, SourceDescription, SourceStats};
use crate::BackupError;

/// Backs up one folder.
#[derive(Debug, Clone)]
pub struct DirectorySource {
    root: PathBuf,
}

impl DirectorySource {
    /// A source for `path`, which must be a folder this process can list (a symlink to one is followed).
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, BackupError> {
        let root = path.into();
        match fs::metadata(&root) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BackupError::Invalid(format!("the source folder {} does not exist", root.display())));
            }
            Err(e) => return Err(BackupError::io("reading the source folder", &root, e)),
            Ok(meta) if !meta.is_dir() => {
                return Err(BackupError::Invalid(format!("the source {} is not a folder", root.display())));
            }
            Ok(_) => {}
        }
        fs::read_dir(&root).map_err(|e| BackupError::io("listing the source folder", &root, e))?;
        Ok(Self { root })
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
                    return Err(BackupError::io("listing the source folder", &self.root, e));
                }
                Err(e) => {
                    stats.skipped.push(format!("{}: cannot list the folder: {}", rel_dir.display(), reason(&e)));
                    continue;
                }
            };
            let mut subdirs = Vec::new();
            for name in names {
                let (rel, abs) = (rel_dir.join(&name), abs_dir.join(&name));
                let skip = |stats: &mut SourceStats, why: &str| stats.skipped.push(format!("{}: {why}", rel.display()));
                let meta = match fs::symlink_metadata(&abs) {
                    Ok(meta) => meta,
                    Err(e) => {
                        skip(&mut stats, &reason(&e));
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
                            skip(&mut stats, &reason(&e));
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
                            FileOutcome::Incomplete(why) => skip(&mut stats, &why),
                            FileOutcome::Skipped(why) => {
                                skip(&mut stats, &why);
                                continue;
                            }
                        }
                        if meta.nlink() > 1 {
                            first_names.insert(inode, rel.clone());
                        }
                    }
                } else {
                    skip(&mut stats, special_kind(&kind));
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

/// What is not a file, a folder or a symlink.
fn special_kind(kind: &fs::FileType) -> &'static str {
    if kind.is_socket() {
        "a socket, not backed up"
    } else if kind.is_fifo() {
        "a FIFO, not backed up"
    } else if kind.is_char_device() {
        "a character device, not backed up"
    } else if kind.is_block_device() {
        "a block device, not backed up"
    } else {
        "an unknown kind of file, not backed up"
    }
}

/// Why a path could not be read, in words.
fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::NotFound => "vanished before it was read".into(),
        _ => e.to_string(),
    }
}
