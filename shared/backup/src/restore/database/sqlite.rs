//! SQLite: the snapshot is written to a temporary file beside the target and checked with `PRAGMA
//! integrity_check` before anything is touched; the safety copy of the target is a `VACUUM INTO` snapshot (a
//! plain copy could be torn, or miss the `-wal` file); the target's WAL is checkpointed into it, and the checked
//! file is renamed over the target, which is atomic. The application using the database should be stopped for a
//! restore: a target whose `-wal` still holds frames after the checkpoint is in use, and is refused.

use std::{
    fs::{self, File},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use sqlx::{ConnectOptions as _, Connection as _, sqlite::SqliteConnectOptions};

use super::{Recovery, RestoreOptions, RestoreStats, SafetyDump, failed, put_back, succeeded};
use crate::{
    BackupError,
    messages::{self, actions},
    sources::{
        process::BUFFER_SIZE,
        sqlite::{BUSY_TIMEOUT, block_on, check_file, integrity_check, vacuum_into},
    },
};

/// See [`RestoreOptions::restore_sqlite`].
pub(super) fn restore(
    options: &RestoreOptions,
    snapshot: &mut dyn Read,
    target: &Path,
) -> Result<RestoreStats, BackupError> {
    let location = target.display().to_string();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| BackupError::Invalid(messages::restore_target_no_file_name(target)))?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(BackupError::Refused(messages::restore_target_folder_missing(&dir)));
    }
    let mut incoming = tempfile::Builder::new()
        .prefix(&format!(".{name}.restore-"))
        .tempfile_in(&dir)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_FILE_IN, &dir, e))?;
    let incoming_path = incoming.path().to_path_buf();
    // Locked while this process fills and checks it, so a sweep tells it from one a killed restore left behind.
    rustix::fs::flock(incoming.as_file(), rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_FILE_IN, &dir, e.into()))?;
    let bytes = write_snapshot(snapshot, incoming.as_file_mut(), &incoming_path)?;
    let checked = integrity_check(&incoming_path);
    remove_side_files(&incoming_path);
    if let Err(cause) = checked {
        return Err(BackupError::Refused(messages::restore_snapshot_unsound(target, cause.message())));
    }
    let created = !target.exists();
    let safety = if created {
        None
    } else {
        check_file(target)
            .map_err(|cause| BackupError::Refused(messages::restore_target_not_sqlite(target, cause.message())))?;
        let mut safety = SafetyDump::create(Some(options.safety_dir.as_deref().unwrap_or(&dir)), &name, &name)?;
        vacuum_into(target, &safety.path)?;
        safety.bytes =
            fs::metadata(&safety.path).map_err(|e| BackupError::io(actions::READING, &safety.path, e))?.len();
        settle(target)?;
        Some(safety)
    };
    if let Err(e) = incoming.persist(target) {
        let cause = BackupError::io(actions::RENAMING_THE_RESTORED_SNAPSHOT_OVER, target, e.error);
        return Err(failed(location, &cause, Recovery::Untouched));
    }
    sync_dir(&dir);
    match integrity_check(target) {
        Ok(()) => Ok(succeeded(options, bytes, safety, created)),
        Err(cause) => {
            let recovery = match safety {
                Some(safety) => put_back(safety, |path| replace_with(path, target, &dir)),
                None => match fs::remove_file(target) {
                    Ok(()) => Recovery::Dropped,
                    Err(e) => Recovery::Failed { error: BackupError::io(actions::REMOVING, target, e), kept: None },
                },
            };
            Err(failed(location, &cause, recovery))
        }
    }
}

/// Copies the snapshot into `file` (at `path`) through one buffer and syncs it; returns the bytes copied.
fn write_snapshot(snapshot: &mut dyn Read, file: &mut File, path: &Path) -> Result<u64, BackupError> {
    let mut buffer = vec![0; BUFFER_SIZE];
    let mut copied = 0u64;
    loop {
        let n = match snapshot.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let action = actions::READING_THE_SNAPSHOT_TO_RESTORE_INTO;
                return Err(crate::sources::process::output_error(e, action, path));
            }
        };
        file.write_all(&buffer[..n])
            .map_err(|e| BackupError::io(actions::WRITING_THE_SNAPSHOT_TO_RESTORE_INTO, path, e))?;
        copied += n as u64;
    }
    file.sync_all().map_err(|e| BackupError::io(actions::SYNCING, path, e))?;
    Ok(copied)
}

/// Folds the target's WAL into the database file and removes the emptied `-wal` and `-shm`, so the renamed
/// file is not read through a stale WAL; refuses a target whose WAL another connection keeps filling.
fn settle(target: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::new().filename(target).busy_timeout(BUSY_TIMEOUT);
    let done = block_on(async move {
        let mut conn = options.connect().await?;
        let result = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await;
        let _ = conn.close().await;
        result.map(drop)
    });
    let failure = match done {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(error) = failure {
        let problem = messages::wal_checkpoint_failed(error);
        return Err(BackupError::Database { location: target.display().to_string(), problem });
    }
    let wal = side_file(target, "-wal");
    if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(BackupError::Refused(messages::restore_target_in_use(target)));
    }
    remove_side_files(target);
    Ok(())
}

/// Puts the file at `from` in place of `target`: a rename, or a copy beside the target then a rename when
/// `from` is on another file system.
fn replace_with(from: &Path, target: &Path, dir: &Path) -> Result<(), BackupError> {
    remove_side_files(target);
    if fs::rename(from, target).is_ok() {
        sync_dir(dir);
        return Ok(());
    }
    let mut staged = tempfile::Builder::new()
        .prefix(".lawha-put-back-")
        .tempfile_in(dir)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_FILE_IN, dir, e))?;
    let mut source = File::open(from).map_err(|e| BackupError::io(actions::OPENING, from, e))?;
    io::copy(&mut source, staged.as_file_mut()).map_err(|e| BackupError::io(actions::COPYING, from, e))?;
    staged.as_file().sync_all().map_err(|e| BackupError::io(actions::SYNCING, staged.path(), e))?;
    staged.persist(target).map_err(|e| BackupError::io(actions::RENAMING_OVER, target, e.error))?;
    sync_dir(dir);
    Ok(())
}

/// `<path>-wal`, `<path>-shm`, `<path>-journal`.
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes the `-wal`, `-shm` and `-journal` files of `path`; only an empty or absent journal reaches here.
fn remove_side_files(path: &Path) {
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(side_file(path, suffix));
    }
}

/// Syncs a directory so a rename in it survives a crash; best effort (some file systems refuse).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}
