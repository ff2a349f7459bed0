//! The safe extractor: every entry is created here, one at a time, inside a fresh folder that only this process
//! writes. Nothing is ever written through a symlink (each folder on an entry's path is checked to be a real
//! folder first, and files are created with `O_EXCL`), so a hostile archive can at worst be refused.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write as _},
    os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _},
    path::{Component, Path, PathBuf},
    time::{Duration, SystemTime},
};

use lawha_domain::Message;
use tar::EntryType;

use super::{RestoreOptions, RestoreStats, links};
use crate::{
    BackupError,
    messages::{self, IoAction, actions},
    verify::VerifyError,
};

/// The setuid and setgid bits, never restored on files. A folder keeps its setgid bit: on a folder it only makes
/// new files inherit the folder's group, which grants nothing.
const SET_ID_BITS: u32 = 0o6000;

/// A folder's metadata, applied after everything inside it was written (a read-only folder would refuse its
/// own contents otherwise; writing into it would change its mtime).
struct DirMeta {
    path: PathBuf,
    mode: u32,
    mtime: Option<u64>,
    owner: Option<(u32, u32)>,
}

/// Extracts a tar stream into `root` (a fresh, empty folder). `shown` is the folder the entries are for, used in
/// messages.
pub(super) fn extract<R: Read>(
    archive: &mut tar::Archive<R>,
    root: &Path,
    shown: &Path,
    options: RestoreOptions,
) -> Result<RestoreStats, BackupError> {
    let mut ex =
        Extractor { root, shown, options, stats: RestoreStats::default(), dirs: Vec::new(), links: Vec::new() };
    let corrupt = |e: io::Error| BackupError::Verify(VerifyError::Corrupt(messages::corrupt_tar(e.to_string())));
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw = entry.path().map_err(corrupt)?.into_owned();
        let rel = relative(&raw)?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Continuous => ex.file(&mut entry, &rel)?,
            EntryType::Directory => ex.dir(&entry, &rel)?,
            EntryType::Symlink | EntryType::Link => {
                let target = entry.link_name().map_err(corrupt)?.map(|t| t.into_owned()).unwrap_or_default();
                if kind == EntryType::Symlink {
                    ex.symlink(&entry, &rel, &target)?;
                } else {
                    ex.hardlink(&rel, &target)?;
                }
            }
            other => return Err(refused(&raw, unsupported(other))),
        }
        ex.stats.entries += 1;
    }
    ex.finish()
}

struct Extractor<'a> {
    root: &'a Path,
    shown: &'a Path,
    options: RestoreOptions,
    stats: RestoreStats,
    dirs: Vec<DirMeta>,
    links: Vec<PathBuf>,
}

impl Extractor<'_> {
    fn file<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, rel: &Path) -> Result<(), BackupError> {
        self.not_root(rel)?;
        let claimed = entry.size();
        if self.stats.bytes.saturating_add(claimed) > self.options.max_bytes {
            return Err(self.too_big(rel));
        }
        self.make_parents(rel)?;
        let path = self.root.join(rel);
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists { self.twice(rel) } else { self.io(actions::CREATING, rel, e) }
        })?;
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(BackupError::Verify(VerifyError::Corrupt(messages::corrupt_entry(rel, e.to_string()))));
                }
            };
            // Count what actually arrives, not what the header claimed.
            self.stats.bytes += n as u64;
            if self.stats.bytes > self.options.max_bytes {
                return Err(self.too_big(rel));
            }
            file.write_all(&buf[..n]).map_err(|e| self.io(actions::WRITING, rel, e))?;
        }
        let header = entry.header();
        if let (Ok(uid), Ok(gid)) = (header.uid(), header.gid()) {
            chown_if_allowed(std::os::unix::fs::fchown(&file, Some(uid as u32), Some(gid as u32)))
                .map_err(|e| self.io(actions::SETTING_THE_OWNER_OF, rel, e))?;
        }
        // Setuid and setgid are dropped: a restored file must not run with its owner's rights because an archive
        // said so (root restores, and restores owners too).
        let mode = header.mode().map_err(|e| self.io(actions::READING_THE_MODE_OF, rel, e))? & 0o7777 & !SET_ID_BITS;
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| self.io(actions::SETTING_THE_MODE_OF, rel, e))?;
        if let Ok(mtime) = header.mtime() {
            file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
                .map_err(|e| self.io(actions::SETTING_THE_MTIME_OF, rel, e))?;
        }
        Ok(())
    }

    fn dir<R: Read>(&mut self, entry: &tar::Entry<'_, R>, rel: &Path) -> Result<(), BackupError> {
        let path = self.root.join(rel);
        if !rel.as_os_str().is_empty() {
            self.make_parents(rel)?;
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(self.twice(rel)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&path).map_err(|e| self.io(actions::CREATING_THE_FOLDER, rel, e))?;
                }
                Err(e) => return Err(self.io(actions::READING, rel, e)),
            }
        }
        let header = entry.header();
        self.dirs.push(DirMeta {
            path,
            mode: header.mode().map(|m| m & 0o7777).unwrap_or(0o755),
            mtime: header.mtime().ok(),
            owner: header.uid().ok().zip(header.gid().ok()).map(|(u, g)| (u as u32, g as u32)),
        });
        Ok(())
    }

    fn symlink<R: Read>(&mut self, entry: &tar::Entry<'_, R>, rel: &Path, target: &Path) -> Result<(), BackupError> {
        self.not_root(rel)?;
        if target.as_os_str().is_empty() {
            return Err(refused(rel, messages::entry_symlink_without_target()));
        }
        let folder = rel.parent().unwrap_or(Path::new(""));
        if !self.options.allow_external_symlinks && links::leads_outside(self.root, folder, target) {
            return Err(self.escapes(rel, target));
        }
        self.make_parents(rel)?;
        let path = self.root.join(rel);
        std::os::unix::fs::symlink(target, &path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                self.twice(rel)
            } else {
                self.io(actions::CREATING_THE_SYMLINK, rel, e)
            }
        })?;
        let header = entry.header();
        if let (Ok(uid), Ok(gid)) = (header.uid(), header.gid()) {
            chown_if_allowed(std::os::unix::fs::lchown(&path, Some(uid as u32), Some(gid as u32)))
                .map_err(|e| self.io(actions::SETTING_THE_OWNER_OF, rel, e))?;
        }
        if let Ok(mtime) = header.mtime() {
            links::set_link_mtime(&path, mtime).map_err(|e| self.io(actions::SETTING_THE_MTIME_OF, rel, e))?;
        }
        self.links.push(rel.to_path_buf());
        Ok(())
    }

    fn hardlink(&mut self, rel: &Path, target: &Path) -> Result<(), BackupError> {
        self.not_root(rel)?;
        let leaves = || refused(rel, messages::entry_hardlink_outside(target));
        let target = relative(target).map_err(|_| leaves())?;
        if target.as_os_str().is_empty() || self.check_folders(&target, false).is_err() {
            return Err(leaves());
        }
        match fs::symlink_metadata(self.root.join(&target)) {
            Ok(meta) if meta.is_file() => {}
            _ => return Err(refused(rel, messages::entry_hardlink_not_a_file(&target))),
        }
        self.make_parents(rel)?;
        fs::hard_link(self.root.join(&target), self.root.join(rel)).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                self.twice(rel)
            } else {
                self.io(actions::CREATING_THE_HARD_LINK, rel, e)
            }
        })
    }

    /// Re-checks every symlink against the final tree (a link made later can redirect an earlier one), then
    /// applies folder metadata, deepest first.
    fn finish(mut self) -> Result<RestoreStats, BackupError> {
        if !self.options.allow_external_symlinks {
            for rel in &self.links {
                let target =
                    fs::read_link(self.root.join(rel)).map_err(|e| self.io(actions::READING_THE_SYMLINK, rel, e))?;
                if links::leads_outside(self.root, rel.parent().unwrap_or(Path::new("")), &target) {
                    return Err(self.escapes(rel, &target));
                }
            }
        }
        self.dirs.sort_by_key(|d| std::cmp::Reverse(d.path.components().count()));
        for dir in &self.dirs {
            let rel = dir.path.strip_prefix(self.root).unwrap_or(&dir.path);
            let handle = File::open(&dir.path).map_err(|e| self.io(actions::OPENING_THE_FOLDER, rel, e))?;
            if let Some((uid, gid)) = dir.owner {
                chown_if_allowed(std::os::unix::fs::fchown(&handle, Some(uid), Some(gid)))
                    .map_err(|e| self.io(actions::SETTING_THE_OWNER_OF, rel, e))?;
            }
            handle
                .set_permissions(fs::Permissions::from_mode(dir.mode))
                .map_err(|e| self.io(actions::SETTING_THE_MODE_OF, rel, e))?;
            if let Some(mtime) = dir.mtime {
                handle
                    .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime))
                    .map_err(|e| self.io(actions::SETTING_THE_MTIME_OF, rel, e))?;
            }
        }
        Ok(self.stats)
    }

    /// Creates the missing folders above `rel`, refusing when one of them is a symlink or a file.
    fn make_parents(&self, rel: &Path) -> Result<(), BackupError> {
        self.check_folders(rel, true)
    }

    fn check_folders(&self, rel: &Path, create: bool) -> Result<(), BackupError> {
        let mut folder = self.root.to_path_buf();
        let parent = rel.parent().unwrap_or(Path::new(""));
        for part in parent.components() {
            folder.push(part);
            match fs::symlink_metadata(&folder) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => {
                    let through = folder.strip_prefix(self.root).unwrap_or(&folder);
                    return Err(refused(rel, messages::entry_through_symlink(through)));
                }
                Ok(_) => return Err(refused(rel, messages::entry_parent_not_a_folder())),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    fs::create_dir(&folder).map_err(|e| self.io(actions::CREATING_THE_FOLDER, rel, e))?;
                }
                Err(e) => return Err(self.io(actions::READING, rel, e)),
            }
        }
        Ok(())
    }

    fn not_root(&self, rel: &Path) -> Result<(), BackupError> {
        if rel.as_os_str().is_empty() { Err(refused(rel, messages::entry_unnamed())) } else { Ok(()) }
    }

    fn too_big(&self, rel: &Path) -> BackupError {
        refused(rel, messages::entry_over_limit(self.options.max_bytes))
    }

    fn twice(&self, rel: &Path) -> BackupError {
        refused(rel, messages::entry_twice())
    }

    fn escapes(&self, rel: &Path, target: &Path) -> BackupError {
        refused(rel, messages::entry_symlink_outside(target))
    }

    /// An I/O failure on an entry, named by where it was going in the target (not the temporary folder).
    fn io(&self, action: IoAction, rel: &Path, e: io::Error) -> BackupError {
        BackupError::io(action, self.shown.join(rel), e)
    }
}

/// The entry's path made relative and checked: no absolute path, no `..`; `.` parts are dropped.
fn relative(raw: &Path) -> Result<PathBuf, BackupError> {
    let mut rel = PathBuf::new();
    for part in raw.components() {
        match part {
            Component::Normal(name) => rel.push(name),
            Component::CurDir => {}
            Component::ParentDir => return Err(refused(raw, messages::entry_parent_dir())),
            Component::RootDir | Component::Prefix(_) => return Err(refused(raw, messages::entry_absolute())),
        }
    }
    Ok(rel)
}

/// The refusal of the whole archive because of the entry at `rel`, and why.
fn refused(rel: &Path, reason: Message) -> BackupError {
    BackupError::Refused(messages::archive_refused(rel, reason))
}

/// Owners are restored when this process may set them (as root); otherwise the files belong to whoever restores.
fn chown_if_allowed(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
}

/// Why an entry of a kind a restore never creates is refused.
fn unsupported(kind: EntryType) -> Message {
    match kind {
        EntryType::Char => messages::entry_char_device(),
        EntryType::Block => messages::entry_block_device(),
        EntryType::Fifo => messages::entry_fifo(),
        EntryType::GNUSparse => messages::entry_sparse(),
        // The type byte as the tar header holds it (`K`), escaped so that a control byte stays readable.
        other => messages::entry_other_type((other.as_byte() as char).escape_default().to_string()),
    }
}
