//! A SQLite database file as a backup source, taken consistently while other connections write to it.
//!
//! Copying the file is not a backup: a copy taken during a write (or without the `-wal` file) can be torn. The
//! SQLite C backup API is out of reach (the crate forbids `unsafe`, and rusqlite cannot link next to sqlx's
//! bundled SQLite), so the snapshot is `VACUUM INTO '<temp dir>/snapshot.sqlite'` on a read-only connection with
//! a busy timeout: SQLite writes the copy inside one read transaction, so it is a consistent state of the
//! database as of one commit, whatever the journal mode. The copy is then streamed into the archive pipeline and
//! deleted with its temporary directory.
//!
//! sqlx is async; this crate is blocking. Each call runs its future on a current-thread runtime of its own, on a
//! scoped thread of its own ([`block_on`]). That works the same from a `spawn_blocking` thread, a plain thread
//! or a test, and it cannot panic with "Cannot start a runtime from within a runtime" when it is called from
//! async code by mistake (which `Handle::block_on` on the caller's runtime would on a worker thread). The cost,
//! one thread and one small runtime per snapshot, is nothing next to copying a database.

use std::{
    fs::File,
    future::Future,
    io::{Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

use lawha_domain::Message;
use sqlx::{ConnectOptions as _, Connection as _, sqlite::SqliteConnectOptions};

use super::{Source, SourceDescription, SourceStats, process::BUFFER_SIZE};
use crate::{
    BackupError,
    messages::{self, actions},
};

/// How long the snapshot waits for a writer's lock before it gives up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The first 16 bytes of every SQLite 3 database file.
const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A SQLite database file, snapshotted with `VACUUM INTO`.
#[derive(Debug, Clone)]
pub struct SqliteSource {
    /// The database file.
    path: PathBuf,
    /// Where the snapshot is written before it is streamed: the system's temporary directory unless
    /// [`SqliteSource::with_temp_dir`] chose another (one with room for a copy of the database).
    temp_dir: Option<PathBuf>,
}

impl SqliteSource {
    /// The database file at `path`. Whether it exists and is a SQLite database is checked when it is read.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), temp_dir: None }
    }

    /// Writes the snapshot under `dir` instead of the system's temporary directory.
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }
}

impl Source for SqliteSource {
    fn describe(&self) -> SourceDescription {
        SourceDescription { kind: "sqlite".into(), location: self.path.display().to_string() }
    }

    fn extension(&self) -> &'static str {
        "sqlite"
    }

    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError> {
        let version = block_on(async {
            let mut conn = SqliteConnectOptions::new().in_memory(true).connect().await?;
            let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&mut conn).await?;
            let _ = conn.close().await;
            Ok::<_, sqlx::Error>(version)
        });
        let version = flatten(version, Path::new(":memory:"), messages::sqlite_version_failed)?;
        Ok(vec![("sqlite".into(), format!("SQLite {version} (bundled)"))])
    }

    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError> {
        let dir = temp_dir(self.temp_dir.as_deref(), &self.path)?;
        let snapshot = dir.path().join("snapshot.sqlite");
        vacuum_into(&self.path, &snapshot)?;
        let entries = count_tables(&snapshot)?;
        let mut file =
            File::open(&snapshot).map_err(|e| BackupError::io(actions::OPENING_THE_SNAPSHOT, &snapshot, e))?;
        let bytes = copy(&mut file, &snapshot, out)?;
        Ok(SourceStats { entries, bytes, skipped: Vec::new() })
    }
}

/// Writes a consistent copy of the database at `source` to `destination`, which must not exist yet.
pub fn vacuum_into(source: &Path, destination: &Path) -> Result<(), BackupError> {
    check_file(source)?;
    let options = SqliteConnectOptions::new().filename(source).read_only(true).busy_timeout(BUSY_TIMEOUT);
    let target = destination.to_string_lossy().into_owned();
    let done = block_on(async move {
        let mut conn = options.connect().await?;
        let result = sqlx::query("VACUUM INTO ?").bind(target).execute(&mut conn).await;
        let _ = conn.close().await;
        result.map(drop)
    });
    flatten(done, source, messages::sqlite_snapshot_failed)
}

/// `PRAGMA integrity_check` on the file at `path`: `Ok` when SQLite answers `ok`, else what it found.
pub fn integrity_check(path: &Path) -> Result<(), BackupError> {
    check_file(path)?;
    let options = SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(BUSY_TIMEOUT);
    let rows = block_on(async move {
        let mut conn = options.connect().await?;
        let rows: Result<Vec<String>, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await;
        let _ = conn.close().await;
        rows
    });
    let rows = flatten(rows, path, messages::sqlite_integrity_check_failed)?;
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(());
    }
    // SQLite's own report, its first lines joined: data, shown as it is.
    let found: Vec<String> = rows.into_iter().take(5).collect();
    Err(BackupError::Database {
        location: path.display().to_string(),
        problem: messages::sqlite_damaged(found.join("; ")),
    })
}

/// The number of tables in the database at `path`, SQLite's own left out.
pub fn count_tables(path: &Path) -> Result<u64, BackupError> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(BUSY_TIMEOUT);
    let count = block_on(async move {
        let mut conn = options.connect().await?;
        let count: Result<i64, _> = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .fetch_one(&mut conn)
        .await;
        let _ = conn.close().await;
        count
    });
    let count = flatten(count, path, messages::sqlite_count_tables_failed)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Fails precisely when `path` is missing, not a file, or not a SQLite database by its header.
pub fn check_file(path: &Path) -> Result<(), BackupError> {
    let not_sqlite = |problem: Message| BackupError::Database { location: path.display().to_string(), problem };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_sqlite(messages::sqlite_file_missing())),
        Err(e) => return Err(BackupError::io(actions::READING_THE_METADATA_OF, path, e)),
    };
    if !metadata.is_file() {
        return Err(not_sqlite(messages::sqlite_not_a_file()));
    }
    let mut header = [0u8; 16];
    let mut file = File::open(path).map_err(|e| BackupError::io(actions::OPENING, path, e))?;
    let read = file.read(&mut header).map_err(|e| BackupError::io(actions::READING, path, e))?;
    // An empty file is a valid, empty database to SQLite.
    if read > 0 && (read < HEADER.len() || &header != HEADER) {
        return Err(not_sqlite(messages::sqlite_bad_header()));
    }
    Ok(())
}

/// A temporary directory under `dir`, or the system's; named after the database so a leftover one is traceable.
pub fn temp_dir(dir: Option<&Path>, database: &Path) -> Result<tempfile::TempDir, BackupError> {
    let name = database.file_name().map_or_else(|| "sqlite".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!("lawha-{name}-");
    let base = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(&base)
        .map_err(|e| BackupError::io(actions::CREATING_A_TEMPORARY_DIRECTORY_IN, base, e))
}

/// Streams `from` (read from `path`) into `out` through one buffer; returns the bytes copied.
pub fn copy(from: &mut dyn Read, path: &Path, out: &mut dyn Write) -> Result<u64, BackupError> {
    let mut buffer = vec![0; BUFFER_SIZE];
    let mut copied = 0u64;
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BackupError::io(actions::READING, path, e)),
        };
        out.write_all(&buffer[..n])
            .map_err(|e| super::process::output_error(e, actions::WRITING_THE_SNAPSHOT_OF, path))?;
        copied += n as u64;
    }
}

/// Runs `future` to completion on a current-thread runtime of its own, on a scoped thread of its own (see the
/// module's documentation for why). Fails only when the runtime cannot start (no threads or descriptors left);
/// a panic inside is resumed on the caller's thread.
pub fn block_on<F>(future: F) -> std::io::Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            Ok(runtime.block_on(future))
        });
        worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The outcome of [`block_on`] over a sqlx future on the file at `path`, as one result; `failed` is the step's
/// message, given sqlx's own words. SQLite's "not a database" is said plainly.
fn flatten<T>(
    outcome: std::io::Result<Result<T, sqlx::Error>>,
    path: &Path,
    failed: fn(String) -> Message,
) -> Result<T, BackupError> {
    let error = match outcome {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
        Err(e) => return Err(BackupError::io(actions::STARTING_A_RUNTIME_FOR, path, e)),
    };
    let not_a_database = matches!(&error, sqlx::Error::Database(e) if e.code().as_deref() == Some("26"));
    let step = failed(error.to_string());
    let problem = if not_a_database { messages::sqlite_not_a_database(step) } else { step };
    Err(BackupError::Database { location: path.display().to_string(), problem })
}
