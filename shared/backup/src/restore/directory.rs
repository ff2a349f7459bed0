//! Restoring a directory backup. The archive is verified first (signature, size, SHA-256) and refused on any
//! mismatch, and so is a target whose file system has less free space than the archive expands to; then it is
//! extracted by our own extractor ([`extract`]) into a fresh folder beside the target, on the same file system,
//! hashing the stored bytes again as they stream by. Only when every entry was accepted and the hash still
//! matches is that folder renamed into place. When overwriting, the existing target is first moved aside beside
//! it, put back if the rename in fails, and kept as `.<name>.lawha-previous-<time>-<id>` after success
//! (`place.rs`); [`sweep`] deletes such copies when they are old enough, and the staging folders and half-done
//! swaps a killed restore left. A refused archive leaves no target and no temporary folder.
//!
//! Refused: absolute paths, `..`, symlinks whose target leaves the target folder (resolved from the link's
//! folder, through earlier links; see [`RestoreOptions::allow_external_symlinks`]), writing through any
//! symlink, hard links to anything but a file restored earlier, devices and FIFOs, sparse entries, and more
//! than `max_bytes` of file contents (counted as they are written, not as headers claim). Setuid and setgid bits
//! of files are not restored.

mod extract;
mod links;
mod place;
mod sweep;

pub use sweep::{Swept, sweep};

use std::{
    fs::{self, File},
    io::{self, BufReader, Read},
    path::{Path, PathBuf},
};

use sha2::{Digest as _, Sha256};

use crate::{
    BackupError,
    encryption::{parse_identity, recipient_of},
    manifest::ManifestKey,
    messages::{self, actions},
    verify::{self, VerifyError, constant_time_eq},
};

/// Free space a restore wants beyond the bytes it writes: for the file system's own blocks and metadata (a
/// twentieth of the contents) plus a fixed 64 MiB, so a restore never fills a disk to its last block.
const SPACE_MARGIN_BYTES: u64 = 64 << 20;

/// How a restore may treat the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreOptions {
    /// Replace an existing target (moved aside, then the restored folder renamed in); otherwise an existing
    /// target refuses the restore.
    pub overwrite: bool,
    /// Keep the replaced target beside the new one as `.<name>.lawha-previous-<time>-<id>` (until [`sweep`]
    /// finds it old enough); otherwise it is deleted once the restored folder is in place.
    pub keep_previous: bool,
    /// The most bytes of file contents the archive may expand to.
    pub max_bytes: u64,
    /// Restore symlinks that point outside the target (absolute ones such as `/etc/ssl/certs`, or `../..`) as
    /// links. They are never followed while restoring either way; off, such an archive is refused.
    pub allow_external_symlinks: bool,
}

/// What a restore wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Entries restored (files, folders, links).
    pub entries: u64,
    /// Bytes of file contents written.
    pub bytes: u64,
    /// Where the replaced target was kept ([`RestoreOptions::keep_previous`]).
    pub previous: Option<PathBuf>,
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
    check_free_space(parent_of(target), manifest.source_bytes)?;

    let file = File::open(archive).map_err(|e| BackupError::io(actions::OPENING_THE_ARCHIVE, archive, e))?;
    let mut hasher = Sha256::new();
    let input = BufReader::with_capacity(1 << 20, Hashing { inner: file, hasher: &mut hasher });
    let decoded = verify::decoder(input, age)?;
    let (staged, mut stats) = stage(decoded, target, options, |mut rest| {
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
    stats.previous = place::put_in_place(staged, target, options)?;
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
    let (staged, mut stats) = stage(tar, target, options, |_| Ok(()))?;
    stats.previous = place::put_in_place(staged, target, options)?;
    Ok(stats)
}

/// Refuses a restore into `folder` when its file system has less room than `bytes` of contents need, with the
/// margin of [`SPACE_MARGIN_BYTES`]; a file system that cannot say is not refused (the restore then fails as
/// "disk full" if it must).
pub fn check_free_space(folder: &Path, bytes: u64) -> Result<(), BackupError> {
    let Ok(stats) = rustix::fs::statvfs(folder) else { return Ok(()) };
    let available = stats.f_bavail.saturating_mul(stats.f_frsize);
    let needed = bytes.saturating_add(bytes / 20).saturating_add(SPACE_MARGIN_BYTES);
    if available < needed {
        return Err(BackupError::Refused(messages::restore_no_space(folder, needed, available)));
    }
    Ok(())
}

/// Extracts into a fresh folder beside `target` and returns it (still removed on drop) with the stats. The folder
/// is locked (`flock`) while this process works in it, so a [`sweep`] elsewhere tells it from one a killed
/// restore left.
fn stage<R: Read>(
    tar: R,
    target: &Path,
    options: RestoreOptions,
    drain: impl FnOnce(R) -> Result<(), BackupError>,
) -> Result<(place::Staged, RestoreStats), BackupError> {
    let parent = parent_of(target);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let staged = tempfile::Builder::new()
        .prefix(&format!(".{name}.restore-"))
        .tempdir_in(parent)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_FOLDER_IN, parent, e))?;
    let lock = place::lock(staged.path())?;
    let mut archive = tar::Archive::new(tar);
    let stats = extract::extract(&mut archive, staged.path(), target, options)?;
    drain(archive.into_inner())?;
    Ok((place::Staged { dir: staged, _lock: lock }, stats))
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

/// The folder `target` goes into.
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
