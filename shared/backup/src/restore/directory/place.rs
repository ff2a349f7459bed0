//! Putting a restored folder in place. Without overwriting, one rename that never replaces anything. When
//! overwriting, three renames beside the target, each atomic:
//!
//! 1. the target to `.<name>.lawha-moving-<time>-<id>` (moved aside, never deleted here);
//! 2. the staged folder to the target; if that fails, the moved-aside tree goes back to its name untouched;
//! 3. the moved-aside tree to `.<name>.lawha-previous-<time>-<id>`, kept until [`super::sweep`] finds it older
//!    than the setting (or deleted at once when it is not to be kept).
//!
//! A crash between 1 and 2 leaves the target missing and the `moving` name present; the sweep puts it back. A
//! crash between 2 and 3 leaves a `moving` tree beside a target in place; the sweep treats it as a previous one.
//! The moved-aside tree is locked (`flock` on its folder) from before step 1 until after step 3, so a sweep in
//! another process never takes a swap under way for a crashed one.

use std::{
    fs::{self, File},
    io,
    path::{Path, PathBuf},
};

use rustix::fs::{CWD, FlockOperation, RenameFlags, flock, renameat_with};

use super::{RestoreOptions, parent_of};
use crate::{
    BackupError,
    fsutil::sync_dir,
    messages::{self, actions},
};

/// What a staging folder's name holds after `.<name>`, before tempfile's random suffix.
pub(super) const STAGING: &str = ".restore-";
/// What the name of a tree moved aside for a swap under way holds after `.<name>`.
pub(super) const MOVING: &str = ".lawha-moving-";
/// What the name of a replaced tree kept after a restore holds after `.<name>`.
pub(super) const PREVIOUS: &str = ".lawha-previous-";
/// The time in the names of moved-aside trees (UTC), which the sweep reads their age from.
pub(super) const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// A folder the extractor filled, locked while this process works in it and removed on drop unless kept.
pub(super) struct Staged {
    /// The folder.
    pub(super) dir: tempfile::TempDir,
    /// Its lock, released when dropped.
    pub(super) _lock: File,
}

/// Opens `path` (a folder or a file) and takes an exclusive `flock` on it, waiting for whoever holds one; the lock
/// is released when the returned handle is dropped, or when the process dies.
pub(super) fn lock(path: &Path) -> Result<File, BackupError> {
    let file = File::open(path).map_err(|e| BackupError::io(actions::OPENING, path, e))?;
    flock(&file, FlockOperation::LockExclusive).map_err(|e| BackupError::io(actions::OPENING, path, e.into()))?;
    Ok(file)
}

/// Takes the lock of `path` if nobody holds it; `None` when a process does (its restore is under way) or the path
/// cannot be opened.
pub(super) fn try_lock(path: &Path) -> Option<File> {
    let file = File::open(path).ok()?;
    flock(&file, FlockOperation::NonBlockingLockExclusive).ok()?;
    Some(file)
}

/// Renames the staged folder to `target`; returns where the replaced target was kept, if it was.
pub(super) fn put_in_place(
    staged: Staged,
    target: &Path,
    options: RestoreOptions,
) -> Result<Option<PathBuf>, BackupError> {
    let exists = fs::symlink_metadata(target).is_ok();
    if !exists || !options.overwrite {
        let renamed = match rename_noreplace(staged.dir.path(), target) {
            // A file system without RENAME_NOREPLACE: a plain rename, the target having been checked just above.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) && !exists => {
                fs::rename(staged.dir.path(), target)
            }
            other => other,
        };
        renamed.map_err(|e| rename_in_error(e, target, exists))?;
        let _ = staged.dir.keep();
        sync_dir(parent_of(target))?;
        return Ok(None);
    }
    swap_in(staged, target, options.keep_previous, rename_noreplace)
}

/// Steps 1 to 3 of the module's description; `rename_in` is step 2 (a parameter so that tests can make it fail).
pub(super) fn swap_in(
    staged: Staged,
    target: &Path,
    keep_previous: bool,
    rename_in: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> Result<Option<PathBuf>, BackupError> {
    let parent = parent_of(target);
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let suffix = format!("{}-{}", chrono::Utc::now().format(STAMP), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let moving = parent.join(format!(".{name}{MOVING}{suffix}"));
    let previous = parent.join(format!(".{name}{PREVIOUS}{suffix}"));
    let held = lock(target)?;
    rename_noreplace(target, &moving)
        .map_err(|e| BackupError::io(actions::MOVING_THE_OLD_TARGET_AWAY_FROM, target, e))?;
    if let Err(e) = rename_in(staged.dir.path(), target) {
        let cause = rename_in_error(e, target, false).message();
        let outcome = match rename_noreplace(&moving, target) {
            Ok(()) => messages::restore_previous_put_back(cause),
            Err(e) => {
                let error = BackupError::io(actions::RENAMING_OVER, target, e).message();
                messages::restore_previous_kept(cause, error, &moving)
            }
        };
        drop(held);
        let _ = sync_dir(parent);
        return Err(BackupError::RestoreFailed(outcome));
    }
    let _ = staged.dir.keep();
    let kept = if keep_previous {
        match fs::rename(&moving, &previous) {
            Ok(()) => Some(previous),
            Err(e) => {
                // The restore is done; the sweep renames (or deletes) a `moving` tree beside a target in place.
                tracing::warn!(path = %moving.display(), error = %e, "could not name the replaced folder as kept");
                Some(moving)
            }
        }
    } else {
        remove_tree(&moving);
        None
    };
    drop(held);
    sync_dir(parent)?;
    Ok(kept)
}

/// `rename(2)` that fails rather than replace an existing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(io::Error::from)
}

/// Why renaming the restored folder to `target` failed: something appeared there, or the system's error.
fn rename_in_error(e: io::Error, target: &Path, existed: bool) -> BackupError {
    if e.kind() == io::ErrorKind::AlreadyExists || existed {
        BackupError::Refused(messages::restore_target_appeared(target))
    } else {
        BackupError::io(actions::RENAMING_THE_RESTORED_FOLDER_TO, target, e)
    }
}

/// Deletes a tree (or a file) that is no longer wanted; a failure is logged, since the restore itself is done.
pub(super) fn remove_tree(path: &Path) {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), error = %e, "could not delete a replaced restore target");
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;

    use super::*;

    /// A staged folder beside `target` holding `new.txt`.
    fn staged_beside(target: &Path) -> Staged {
        let dir = tempfile::Builder::new().prefix(".t.restore-").tempdir_in(parent_of(target)).expect("staging");
        fs::write(dir.path().join("new.txt"), "new").expect("new");
        let lock = lock(dir.path()).expect("lock");
        Staged { dir, _lock: lock }
    }

    #[test]
    fn a_rename_in_that_fails_after_the_move_aside_puts_the_old_tree_back_untouched() {
        let work = tempfile::tempdir().expect("tempdir");
        let target = work.path().join("site");
        fs::create_dir(&target).expect("site");
        fs::write(target.join("old.txt"), "old").expect("old");
        let inode = fs::metadata(&target).expect("stat").ino();

        let failing = |_: &Path, _: &Path| Err(io::Error::from_raw_os_error(libc_eio()));
        let error = swap_in(staged_beside(&target), &target, true, failing).expect_err("the rename in fails");
        let BackupError::RestoreFailed(outcome) = &error else { panic!("{error:?}") };
        assert_eq!(outcome.code, "engine.restore_previous_put_back", "{error}");
        assert_eq!(fs::metadata(&target).expect("put back").ino(), inode, "the very same folder");
        assert_eq!(fs::read_to_string(target.join("old.txt")).expect("old"), "old");
        assert!(!target.join("new.txt").exists());
        let names: Vec<_> = fs::read_dir(work.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, ["site"], "neither the staging folder nor a moved-aside copy is left");
    }

    #[test]
    fn a_swap_keeps_the_old_tree_beside_the_new_one_or_deletes_it() {
        let work = tempfile::tempdir().expect("tempdir");
        let target = work.path().join("site");
        fs::create_dir(&target).expect("site");
        fs::write(target.join("old.txt"), "old").expect("old");
        let kept = swap_in(staged_beside(&target), &target, true, rename_noreplace).expect("swap").expect("kept");
        assert!(kept.file_name().expect("name").to_string_lossy().starts_with(".site.lawha-previous-"), "{kept:?}");
        assert_eq!(fs::read_to_string(kept.join("old.txt")).expect("old kept"), "old");
        assert_eq!(fs::read_to_string(target.join("new.txt")).expect("new in place"), "new");

        let gone = swap_in(staged_beside(&target), &target, false, rename_noreplace).expect("swap");
        assert_eq!(gone, None);
        let mut names: Vec<_> = fs::read_dir(work.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "the first copy and the target: {names:?}");
    }

    /// EIO, which no rename produces on its own here.
    fn libc_eio() -> i32 {
        rustix::io::Errno::IO.raw_os_error()
    }
}
