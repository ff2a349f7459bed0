//! SQLite: a snapshot taken while another thread writes is one consistent state; restores check before they
//! replace, and keep what they replaced.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use lawha_backup::{
    BackupError, messages,
    restore::database::{RestoreOptions, restore_sqlite},
    sources::{Source as _, sqlite::SqliteSource},
};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, sqlite::SqliteConnectOptions};

/// Rows every test database starts with.
const SEEDED: i64 = 2000;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime").block_on(future)
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new().filename(path).create_if_missing(true).busy_timeout(Duration::from_secs(30))
}

/// A database where each write inserts row `n` into `counter` and sets `summary` to (count, last = n) in the
/// same transaction: any consistent state has `summary.count` = the number of rows = the largest `n`.
fn create(path: &Path, journal_mode: &str) {
    block_on(async {
        let mut conn = options(path).connect().await.expect("creating the database");
        let setup = format!(
            "PRAGMA journal_mode = {journal_mode};
             CREATE TABLE counter (n INTEGER PRIMARY KEY, payload BLOB NOT NULL);
             CREATE TABLE summary (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL, last INTEGER NOT NULL);
             WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {SEEDED})
               INSERT INTO counter SELECT n, randomblob(512) FROM s;
             INSERT INTO summary VALUES (1, {SEEDED}, {SEEDED});"
        );
        conn.execute(sqlx::AssertSqlSafe(setup)).await.expect("seeding the database");
        conn.close().await.expect("closing");
    });
}

/// `(rows in counter, largest n, summary.count, summary.last)`.
fn state(path: &Path) -> (i64, i64, i64, i64) {
    block_on(async {
        let mut conn = options(path).connect().await.expect("opening the database");
        let row: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM counter), (SELECT max(n) FROM counter), count, last FROM summary",
        )
        .fetch_one(&mut conn)
        .await
        .expect("reading the state");
        let integrity: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.expect("checking");
        assert_eq!(integrity, "ok", "PRAGMA integrity_check of {}", path.display());
        row
    })
}

/// A thread writing one row per transaction until stopped; `last` is the last committed `n`.
struct Writer {
    stop: Arc<AtomicBool>,
    last: Arc<AtomicI64>,
    thread: JoinHandle<()>,
}

impl Writer {
    fn start(path: PathBuf) -> Writer {
        let (stop, last) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicI64::new(SEEDED)));
        let (stop_flag, last_n) = (stop.clone(), last.clone());
        let thread = std::thread::spawn(move || {
            block_on(async move {
                let mut conn = options(&path).connect().await.expect("the writer's connection");
                let mut n = SEEDED;
                while !stop_flag.load(Ordering::SeqCst) {
                    n += 1;
                    let mut tx = conn.begin().await.expect("begin");
                    sqlx::query("INSERT INTO counter VALUES (?, randomblob(512))")
                        .bind(n)
                        .execute(&mut *tx)
                        .await
                        .expect("insert");
                    sqlx::query("UPDATE summary SET count = count + 1, last = ?")
                        .bind(n)
                        .execute(&mut *tx)
                        .await
                        .expect("update");
                    tx.commit().await.expect("commit");
                    last_n.store(n, Ordering::SeqCst);
                }
            });
        });
        Writer { stop, last, thread }
    }

    fn wait_for(&self, n: i64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.last.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "the writer did not reach row {n} within 30 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stop(self) -> i64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("the writer thread");
        self.last.load(Ordering::SeqCst)
    }
}

fn snapshot_while_writing(journal_mode: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("app.db");
    create(&path, journal_mode);
    let writer = Writer::start(path.clone());
    writer.wait_for(SEEDED + 50);

    let started = writer.last.load(Ordering::SeqCst);
    let mut snapshot = Vec::new();
    let stats = SqliteSource::new(&path).write_to(&mut snapshot).expect("the snapshot");
    let ended = writer.last.load(Ordering::SeqCst);
    writer.wait_for(ended + 50);
    let written = writer.stop();

    let restored = dir.path().join("restored.db");
    restore_sqlite(&mut snapshot.as_slice(), &restored).expect("the restore");
    let (rows, max_n, count, last) = state(&restored);
    assert_eq!((rows, max_n), (count, last), "the snapshot is one committed state");
    assert_eq!(rows, max_n, "no row is missing");
    assert!((started..=ended + 1).contains(&last), "taken while writing: {started} ≤ {last} ≤ {ended}");
    assert!(written > last, "the writer went on after the snapshot");
    assert_eq!((stats.entries, stats.bytes), (2, snapshot.len() as u64));
    let versions = SqliteSource::new(&path).tool_versions().expect("SQLite's version");
    assert!(versions[0].1.starts_with("SQLite 3."), "{versions:?}");
}

#[test]
fn a_sqlite_snapshot_taken_during_writes_in_rollback_journal_mode_is_one_committed_state() {
    snapshot_while_writing("DELETE");
}

#[test]
fn a_sqlite_snapshot_taken_during_writes_in_wal_mode_is_one_committed_state() {
    snapshot_while_writing("WAL");
}

#[test]
fn a_sqlite_restore_over_an_existing_file_keeps_what_it_replaced_when_asked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (old, new) = (dir.path().join("old.db"), dir.path().join("new.db"));
    create(&old, "WAL");
    create(&new, "DELETE");
    block_on(async {
        let mut conn = options(&new).connect().await.expect("opening");
        conn.execute("DELETE FROM counter WHERE n > 10; UPDATE summary SET count = 10, last = 10")
            .await
            .expect("trimming");
    });
    let mut snapshot = Vec::new();
    SqliteSource::new(&new).write_to(&mut snapshot).expect("the snapshot");
    let options = RestoreOptions { safety_dir: None, keep_safety_dump: true };

    let stats = options.restore_sqlite(&mut snapshot.as_slice(), &old).expect("the restore");

    assert_eq!(state(&old), (10, 10, 10, 10));
    let kept = stats.safety_dump_path.expect("the safety copy was kept, as asked");
    assert_eq!(state(&kept), (SEEDED, SEEDED, SEEDED, SEEDED), "the safety copy holds the replaced content");
    assert!(!dir.path().join("old.db-wal").exists(), "no stale WAL is left beside the restored file");
}

#[test]
fn a_damaged_sqlite_snapshot_is_refused_and_the_target_keeps_its_rows() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("app.db");
    create(&target, "DELETE");
    let mut snapshot = Vec::new();
    SqliteSource::new(&target).write_to(&mut snapshot).expect("the snapshot");
    snapshot.truncate(snapshot.len() / 2);

    let error = restore_sqlite(&mut snapshot.as_slice(), &target).expect_err("half a database is refused");

    let BackupError::Refused(refusal) = &error else { panic!("not a refusal: {error:?}") };
    assert_eq!(refusal.code, "engine.restore_snapshot_unsound", "{error}");
    assert_eq!(refusal.arg("path"), Some(&target.as_path().into()), "{error}");
    assert_eq!(state(&target), (SEEDED, SEEDED, SEEDED, SEEDED));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("listing").flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("app.db")], "no temporary file is left behind");
}

#[test]
fn a_missing_sqlite_file_and_one_that_is_not_sqlite_are_told_apart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = SqliteSource::new(dir.path().join("nope.db")).write_to(&mut Vec::new()).expect_err("missing");
    assert!(
        matches!(&missing, BackupError::Database { location, problem }
            if location.ends_with("/nope.db") && *problem == messages::sqlite_file_missing()),
        "{missing}"
    );

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are notes, not a database").expect("writing");
    let not_sqlite = SqliteSource::new(&text).write_to(&mut Vec::new()).expect_err("not SQLite");
    assert!(
        matches!(&not_sqlite, BackupError::Database { location, problem }
            if location.ends_with("/notes.txt") && *problem == messages::sqlite_bad_header()),
        "{not_sqlite}"
    );
}
