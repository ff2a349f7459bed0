//! Restoring a database dump over a live target without ever leaving it worse than it was.
//!
//! Each restore first takes a safety dump of the target when it exists (`pg_dump`, `mariadb-dump`, a
//! `VACUUM INTO` copy of a SQLite file) into a temporary directory, then restores: `pg_restore --clean
//! --if-exists --no-owner --single-transaction` from stdin; the `mariadb` client fed the SQL on stdin; a SQLite
//! snapshot written beside the target, checked with `PRAGMA integrity_check` and renamed over it. When the
//! restore fails, the safety dump is put back and the error says that the restore failed, why, and that the
//! previous content was put back, or, when even that failed, where the safety dump was kept. A target database
//! that does not exist is created first, and dropped again when the restore into it fails.
//!
//! Architecture Invariant: a failed restore never deletes its safety dump unless the target was put back.
//!
//! The caller has verified the archive and hands over a decompressed reader; a read error from it (an archive
//! that went bad mid-stream) stops the restore tool and is a failure like any other. Objects the target has and
//! the dump has not are left in place: `--clean` drops only what the dump recreates.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use crate::{
    BackupError,
    messages::{self, actions},
};

mod mysql;
mod postgres;
mod sqlite;

/// Restores the PostgreSQL dump `dump` (pg_dump's custom format) into the database of `target_url`, with the
/// default [`RestoreOptions`].
pub fn restore_postgres(dump: &mut dyn Read, target_url: &str) -> Result<RestoreStats, BackupError> {
    RestoreOptions::default().restore_postgres(dump, target_url)
}

/// Restores the MariaDB/MySQL SQL dump `dump` into the database of `target_url`, with the default
/// [`RestoreOptions`].
pub fn restore_mysql(dump: &mut dyn Read, target_url: &str) -> Result<RestoreStats, BackupError> {
    RestoreOptions::default().restore_mysql(dump, target_url)
}

/// Restores the SQLite database file `snapshot` to `target_path`, with the default [`RestoreOptions`].
pub fn restore_sqlite(snapshot: &mut dyn Read, target_path: &Path) -> Result<RestoreStats, BackupError> {
    RestoreOptions::default().restore_sqlite(snapshot, target_path)
}

/// How a restore handles its safety dump.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Where safety dumps go: the system's temporary directory (PostgreSQL, MariaDB) or the target's own
    /// directory (SQLite, so that putting it back is a rename) when `None`. It needs room for a copy of the
    /// target.
    pub safety_dir: Option<PathBuf>,
    /// Keeps the safety dump after a successful restore (its path is in [`RestoreStats::safety_dump_path`]),
    /// for an operator who may want the replaced content back. It is deleted otherwise.
    pub keep_safety_dump: bool,
}

impl RestoreOptions {
    /// Restores the PostgreSQL dump `dump` into the database of `target_url` (created when missing).
    pub fn restore_postgres(&self, dump: &mut dyn Read, target_url: &str) -> Result<RestoreStats, BackupError> {
        postgres::restore(self, dump, target_url)
    }

    /// Restores the MariaDB/MySQL SQL dump `dump` into the database of `target_url` (created when missing).
    pub fn restore_mysql(&self, dump: &mut dyn Read, target_url: &str) -> Result<RestoreStats, BackupError> {
        mysql::restore(self, dump, target_url)
    }

    /// Restores the SQLite database file `snapshot` to `target_path` (created when missing; its directory must
    /// exist).
    pub fn restore_sqlite(&self, snapshot: &mut dyn Read, target_path: &Path) -> Result<RestoreStats, BackupError> {
        sqlite::restore(self, snapshot, target_path)
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Bytes of the dump read and restored.
    pub bytes: u64,
    /// Whether the target existed and a safety dump of it was taken before anything was changed.
    pub safety_dump_taken: bool,
    /// The safety dump's size in bytes.
    pub safety_dump_bytes: u64,
    /// Where the safety dump was kept ([`RestoreOptions::keep_safety_dump`]); `None` once deleted.
    pub safety_dump_path: Option<PathBuf>,
    /// Whether the target did not exist and the restore created it.
    pub created_target: bool,
}

/// A safety dump: one file in a temporary directory of its own, removed on drop unless kept.
#[derive(Debug)]
struct SafetyDump {
    /// The directory, removed with the file on drop.
    dir: tempfile::TempDir,
    /// The dump file inside it.
    path: PathBuf,
    /// Its size.
    bytes: u64,
}

impl SafetyDump {
    /// A place for the safety dump of `label` (a database name) as `file_name`, under `dir` or the system's
    /// temporary directory.
    fn create(dir: Option<&Path>, label: &str, file_name: &str) -> Result<Self, BackupError> {
        let base = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let label: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(40).collect();
        let dir = tempfile::Builder::new()
            .prefix(&format!("lawha-safety-{label}-"))
            .tempdir_in(&base)
            .map_err(|e| BackupError::io(actions::CREATING_A_DIRECTORY_FOR_THE_SAFETY_DUMP_IN, &base, e))?;
        let path = dir.path().join(file_name);
        Ok(Self { dir, path, bytes: 0 })
    }

    /// Keeps the directory and returns the dump's path.
    fn keep(self) -> PathBuf {
        let _ = self.dir.keep();
        self.path
    }
}

/// How a failed restore left the target.
#[derive(Debug)]
enum Recovery {
    /// The safety dump was put back.
    PutBack,
    /// The target was created for the restore and dropped again.
    Dropped,
    /// The failure came before anything was changed.
    Untouched,
    /// Putting the previous state back failed too; the safety dump (if any) is kept.
    Failed { error: BackupError, kept: Option<PathBuf> },
}

/// The statistics of a successful restore, deleting or keeping the safety dump as `options` say.
fn succeeded(options: &RestoreOptions, bytes: u64, safety: Option<SafetyDump>, created: bool) -> RestoreStats {
    let safety_dump_taken = safety.is_some();
    let safety_dump_bytes = safety.as_ref().map_or(0, |s| s.bytes);
    let safety_dump_path = safety.filter(|_| options.keep_safety_dump).map(SafetyDump::keep);
    RestoreStats { bytes, safety_dump_taken, safety_dump_bytes, safety_dump_path, created_target: created }
}

/// The error of a failed restore: what failed and how the target was left.
fn failed(location: String, cause: &BackupError, recovery: Recovery) -> BackupError {
    let outcome = match recovery {
        Recovery::PutBack => messages::restore_put_back(),
        Recovery::Dropped => messages::restore_dropped(),
        Recovery::Untouched => messages::restore_untouched(),
        Recovery::Failed { error, kept: Some(path) } => messages::restore_put_back_failed(error.message(), &path),
        Recovery::Failed { error, kept: None } => messages::restore_cleanup_failed(error.message()),
    };
    BackupError::Database { location, problem: messages::restore_failed(cause.message(), outcome) }
}

/// The error of a restore that could not take its safety dump, and so did not start.
fn no_safety_dump(location: String, cause: &BackupError) -> BackupError {
    BackupError::Database { location, problem: messages::safety_dump_failed(cause.message()) }
}

/// Puts the safety dump back with `put_back`; the recovery to report, keeping the dump if that failed.
fn put_back(safety: SafetyDump, put_back: impl FnOnce(&Path) -> Result<(), BackupError>) -> Recovery {
    match put_back(&safety.path) {
        Ok(()) => Recovery::PutBack,
        Err(error) => Recovery::Failed { error, kept: Some(safety.keep()) },
    }
}
