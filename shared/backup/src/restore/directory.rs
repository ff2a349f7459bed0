//! Restoring a directory backup. The archive is verified first (signature, size, SHA-256) and refused on any
//! mismatch; then it is extracted by our own extractor ([`extract`]) into a fresh folder beside the target, on the
//! same file system, hashing the stored bytes again as they stream by. Only when every entry was accepted and
//! the hash still matches is that folder renamed into place (swapped atomically with an existing target when
//! overwriting). A refused archive leaves no target and no temporary folder.
//!
//! Refused: absolute paths, `..`, symlinks whose target leaves the target folder (resolved from the link's
//! folder, through earlier links; see [`RestoreOptions::allow_external_symlinks`]), writing through any
//! symlink, hard links to anything but a file restored earlier, devices and FIFOs, sparse entries, and more
//! than `max_bytes` of file contents (counted as they are written, not as headers claim).

mod extract;
mod links;

use std::{
    fs::{self, File},
    io::{self, BufReader, Read},
    path::Path,
};

use sha2::{Digest as _, Sha256};

use crate::{
    BackupError,
    encryption::{parse_identity, recipient_of},
    fsutil::sync_dir,
    manifest::ManifestKey,
    messages::{self, actions},
    verify::{self, VerifyError, constant_time_eq},
};

/// How a restore may treat the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Replace an existing target (swapped atomically, then the old one deleted); otherwise an existing target
    /// refuses the restore.
    pub overwrite: bool,
    /// The most bytes of file contents the archive may expand to.
    pub max_bytes: u64,
    /// Restore symlinks that point outside the target (absolute ones such as `/etc/ssl/certs`, or `../..`) as
    /// links. They are never followed while restoring either way; off, such an archive is refused.
    pub allow_external_symlinks: bool,
}

/// What a restore wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Entries restored (files, folders, links).
    pub entries: u64,
    /// Bytes of file contents written.
    pub bytes: u64,
}

/// Verifies `archive` against its manifest and restores it into `target`. `identity` is the age secret key when
/// the archive is encrypted.
pub fn restore_directory(
    archive: &Path,
    key: &ManifestKey,
    identity: Option<&str>,
    target: &Path,
    options: RestoreOptions,
) -> Result<RestoreStats, BackupError> {
    let identity = identity.map(parse_identity).transpose()?;
    let manifest = verify::verify_archive(archive, key, None)?;
    if manifest.source.kind != "directory" {
        return Err(BackupError::Refused(messages::restore_not_a_directory_backup(archive, &manifest.source.kind)));
    }
    let age = match (&manifest.encryption, &identity) {
        (None, _) => None,
        (Some(enc), None) => return Err(VerifyError::IdentityRequired { recipient: enc.recipient.clone() }.into()),
        (Some(enc), Some(identity)) => {
            let given = recipient_of(identity);
            if given != enc.recipient {
                return Err(VerifyError::WrongIdentity { expected: enc.recipient.clone(), given }.into());
            }
            Some((identity, enc.recipient.as_str()))
        }
    };
    check_target(target, options.overwrite)?;

    let file = File::open(archive).map_err(|e| BackupError::io(actions::OPENING_THE_ARCHIVE, archive, e))?;
    let mut hasher = Sha256::new();
    let input = BufReader::with_capacity(1 << 20, Hashing { inner: file, hasher: &mut hasher });
    let decoded = verify::decoder(input, age)?;
    let (staged, stats) = stage(decoded, target, options, |mut rest| {
        // The tar reader stops at the end blocks: read the rest so that the zstd frame's checksum is checked and
        // every stored byte is hashed.
        io::copy(&mut rest, &mut io::sink())
            .map_err(|e| BackupError::Verify(VerifyError::Corrupt(messages::corrupt_after_tar(e.to_string()))))?;
        Ok(())
    })?;
    let actual = hex::encode(hasher.finalize());
    if !constant_time_eq(actual.as_bytes(), manifest.sha256.as_bytes()) {
        // The file changed between the verification and the extraction.
        return Err(VerifyError::ArchiveChanged { expected: manifest.sha256, actual }.into());
    }
    put_in_place(staged, target, options.overwrite)?;
    Ok(stats)
}

/// Runs the safe extractor on an uncompressed tar stream, without any manifest: every entry check, the
/// temporary folder and the final rename are those of [`restore_directory`]. For tar streams that were verified
/// some other way, and for tests of hostile archives.
pub fn check_archive_entries(
    tar: impl Read,
    target: &Path,
    options: RestoreOptions,
) -> Result<RestoreStats, BackupError> {
    check_target(target, options.overwrite)?;
    let (staged, stats) = stage(tar, target, options, |_| Ok(()))?;
    put_in_place(staged, target, options.overwrite)?;
    Ok(stats)
}

/// Extracts into a fresh folder beside `target` and returns it (still removed on drop) with the stats.
fn stage<R: Read>(
    tar: R,
    target: &Path,
    options: RestoreOptions,
    drain: impl FnOnce(R) -> Result<(), BackupError>,
) -> Result<(tempfile::TempDir, RestoreStats), BackupError> {
    let parent = parent_of(target);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let staged = tempfile::Builder::new()
        .prefix(&format!(".{name}.restore-"))
        .tempdir_in(parent)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_FOLDER_IN, parent, e))?;
    let mut archive = tar::Archive::new(tar);
    let stats = extract::extract(&mut archive, staged.path(), target, options)?;
    drain(archive.into_inner())?;
    Ok((staged, stats))
}

/// The target's folder must exist; the target itself only when overwriting.
fn check_target(target: &Path, overwrite: bool) -> Result<(), BackupError> {
    let parent = parent_of(target);
    if target.file_name().is_none() {
        return Err(BackupError::Invalid(messages::restore_target_no_folder_name(target)));
    }
    match fs::metadata(parent) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(BackupError::Invalid(messages::restore_parent_not_a_folder(parent))),
        Err(e) => return Err(BackupError::io(actions::READING_THE_FOLDER_OF_THE_RESTORE_TARGET, parent, e)),
    }
    match fs::symlink_metadata(target) {
        Ok(_) if !overwrite => Err(BackupError::Refused(messages::restore_target_exists(target))),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::io(actions::READING_THE_RESTORE_TARGET, target, e)),
    }
}

/// Renames the staged folder to `target`: without replacing anything, or (overwriting) by exchanging the two in
/// one step and then deleting the old tree. Falls back to rename-away-then-in where the file system cannot swap.
fn put_in_place(staged: tempfile::TempDir, target: &Path, overwrite: bool) -> Result<(), BackupError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    let exists = fs::symlink_metadata(target).is_ok();
    if !exists || !overwrite {
        let renamed = match renameat_with(CWD, staged.path(), CWD, target, RenameFlags::NOREPLACE) {
            // A file system without RENAME_NOREPLACE: a plain rename, the target having been checked just above.
            Err(rustix::io::Errno::INVAL) if !exists => fs::rename(staged.path(), target),
            other => other.map_err(io::Error::from),
        };
        renamed.map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists || exists {
                BackupError::Refused(messages::restore_target_appeared(target))
            } else {
                BackupError::io(actions::RENAMING_THE_RESTORED_FOLDER_TO, target, e)
            }
        })?;
        let _ = staged.keep();
        return sync_dir(parent_of(target));
    }
    match renameat_with(CWD, staged.path(), CWD, target, RenameFlags::EXCHANGE) {
        // The old tree is now where the staged one was.
        Ok(()) => remove_tree(&staged.keep()),
        Err(_) => {
            let old = staged.path().with_extension("old");
            fs::rename(target, &old)
                .map_err(|e| BackupError::io(actions::MOVING_THE_OLD_TARGET_AWAY_FROM, target, e))?;
            if let Err(e) = fs::rename(staged.path(), target) {
                let _ = fs::rename(&old, target);
                return Err(BackupError::io(actions::RENAMING_THE_RESTORED_FOLDER_TO, target, e));
            }
            let _ = staged.keep();
            remove_tree(&old);
        }
    }
    sync_dir(parent_of(target))
}

fn remove_tree(path: &Path) {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not delete the replaced restore target");
    }
}

fn parent_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Hashes the stored bytes as the decoder reads them.
struct Hashing<'h> {
    inner: File,
    hasher: &'h mut Sha256,
}

impl Read for Hashing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
