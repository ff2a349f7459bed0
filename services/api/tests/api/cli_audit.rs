//! `lawha audit verify --checkpoints` and `lawha admin rotate-key` as an operator runs them, on both backends: a log
//! truncated with its head moved back, or an older copy of the database, verifies intact alone and fails against the
//! checkpoints, naming the one it lost; after a rotation the whole chain, the checkpoints and the old sealed secrets
//! still verify and open, and without the previous key they do not.

use std::{
    path::Path,
    process::{Command, Output},
};

use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use lawha_store::{SealKey, checkpoint::FILE_NAME, testkit::TestDb};
use serde_json::json;

/// The secret the test databases' chains are keyed with (see lawha_store::testkit).
const TEST_SECRET: &str = "lawha-test-secret-key-0123456789abcdef";

fn lawha(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lawha"));
    command.env_clear().env("PATH", "/usr/bin:/bin").env("LAWHA_DATA_DIR", data_dir);
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().expect("running lawha");
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&stdout).into(), String::from_utf8_lossy(&stderr).into())
}

/// `lawha <args>` on `url` with the test key and JSON logs.
fn on(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    run(lawha(dir)
        .args(args)
        .env("LAWHA_ENV", "test")
        .env("LAWHA_SECRET_KEY", TEST_SECRET)
        .env("LAWHA_LOG__FORMAT", "json")
        .env("LAWHA_DATABASE_URL", url))
}

async fn notes(db: &TestDb, n: usize) {
    let stream = StreamId::parse(format!("note-{}", uuid::Uuid::now_v7())).unwrap();
    for i in 0..n {
        let event = NewEvent::new("NoteRecorded", json!({"n": i}), Metadata::default());
        db.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
}

async fn sql(db: &TestDb, statement: &str) {
    match db.db.pg_pool() {
        Some(pool) => sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await.map(drop),
        None => sqlx::query(sqlx::AssertSqlSafe(statement)).execute(db.db.sqlite_pool().unwrap()).await.map(drop),
    }
    .expect("tampering");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_log_with_its_head_moved_back_passes_plain_verify_and_fails_naming_the_checkpoint() {
    for db in [TestDb::postgres().await, TestDb::sqlite().await] {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = dir.path().join(FILE_NAME);
        let checkpoints = checkpoints.to_str().unwrap();
        notes(&db, 6).await;
        let (code, stdout, stderr) = on(dir.path(), &db.url, &["audit", "verify"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains(&format!("anchored: position 6 in {checkpoints}")), "{stdout}");
        // The structured log carries the same checkpoint, with fixed fields, for Loki to keep.
        let logged = stderr.lines().find(|l| l.contains("\"audit chain checkpoint\"")).expect("a checkpoint log line");
        assert!(
            logged.contains("\"checkpoint.position\":6") && logged.contains("\"checkpoint.signature\":"),
            "{logged}"
        );
        let first_log = stderr.clone();
        notes(&db, 4).await;
        assert_eq!(on(dir.path(), &db.url, &["audit", "verify"]).0, 0);

        sql(&db, "DELETE FROM events WHERE position > 7").await;
        sql(&db, "UPDATE chain_head SET position = 7, chain = (SELECT chain FROM events WHERE position = 7)").await;
        let (code, stdout, _) = on(dir.path(), &db.url, &["audit", "verify", "--no-anchor"]);
        assert_eq!(
            (code, stdout.lines().next().unwrap_or_default().starts_with("ok: 7 events")),
            (0, true),
            "{stdout}"
        );
        let (code, stdout, _) =
            on(dir.path(), &db.url, &["audit", "verify", "--no-anchor", "--checkpoints", checkpoints]);
        assert_eq!(code, 1, "{stdout}");
        assert!(
            stdout.starts_with("FAILED at position 10: checkpoint line 2 (position 10, anchored 20")
                && stdout.contains("ends at 7: the log was truncated or rolled back"),
            "{}: {stdout}",
            db.url
        );
        // An export of the JSON logs is read the same way: its checkpoint events are the anchors, other lines are
        // skipped. The first verification's log holds the checkpoint of position 6, which the log still holds.
        let export = dir.path().join("loki-export.jsonl");
        std::fs::write(&export, &first_log).unwrap();
        let (code, stdout, _) =
            on(dir.path(), &db.url, &["audit", "verify", "--no-anchor", "--checkpoints", export.to_str().unwrap()]);
        assert_eq!(code, 0, "the exported checkpoint of position 6 is still in the log: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_copy_of_the_database_passes_plain_verify_and_fails_naming_the_checkpoint() {
    for mut db in [TestDb::postgres().await, TestDb::sqlite().await] {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = dir.path().join(FILE_NAME);
        notes(&db, 5).await;
        let older = db.copy().await;
        notes(&db, 5).await;
        assert_eq!(on(dir.path(), &db.url, &["audit", "verify"]).0, 0);

        let (code, stdout, _) = on(dir.path(), &older.url, &["audit", "verify", "--no-anchor"]);
        assert_eq!((code, stdout.starts_with("ok: 5 events")), (0, true), "{stdout}");
        let args = ["audit", "verify", "--no-anchor", "--checkpoints", checkpoints.to_str().unwrap()];
        let (code, stdout, _) = on(dir.path(), &older.url, &args);
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.starts_with("FAILED at position 10: checkpoint line 1 (position 10, anchored "), "{stdout}");
        assert!(stdout.contains("ends at 5"), "{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_key_keeps_the_old_key_so_the_chain_checkpoints_and_sealed_secrets_still_verify() {
    let dir = tempfile::tempdir().unwrap();
    let dev = |args: &[&str]| run(lawha(dir.path()).args(args).env("LAWHA_ENV", "development"));
    let (code, _, stderr) = dev(&["migrate"]);
    assert_eq!(code, 0, "{stderr}");
    let old_key = std::fs::read_to_string(dir.path().join("secret.key")).unwrap().trim().to_owned();
    let sealed = SealKey::derive_with_previous(old_key.as_bytes(), &[], "totp").seal(b"JBSWY3DPEHPK3PXP");
    let create = |name: &str| {
        let mut command = lawha(dir.path());
        command.args(["admin", "create-user", name, "--role", "admin"]).env("LAWHA_ENV", "development");
        command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"a long enough password\n").unwrap();
        assert!(child.wait_with_output().unwrap().status.success());
    };
    create("amira");
    assert_eq!(dev(&["audit", "verify"]).0, 0, "anchors a checkpoint signed under the old key");

    let (code, stdout, stderr) = dev(&["admin", "rotate-key"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let new_key = std::fs::read_to_string(dir.path().join("secret.key")).unwrap().trim().to_owned();
    assert_ne!(new_key, old_key);
    let previous = std::fs::read_to_string(dir.path().join("previous-secret.keys")).unwrap();
    assert_eq!(previous, format!("{old_key}\n"));
    let (old_id, new_id) = (lawha_store::KeyId::of(old_key.as_bytes()), lawha_store::KeyId::of(new_key.as_bytes()));
    assert!(stdout.contains(&format!("rotated: key {new_id} now signs")) && stdout.contains(&old_id.to_string()));
    assert!(!stdout.contains(&new_key) && !stderr.contains(&new_key), "the new key is never printed here");
    create("badr");

    let file = dir.path().join(FILE_NAME);
    let (code, stdout, stderr) = dev(&["audit", "verify", "--checkpoints", file.to_str().unwrap()]);
    assert_eq!(code, 0, "old and new links, and the old checkpoint, verify: {stdout}{stderr}");
    let ring = SealKey::derive_with_previous(new_key.as_bytes(), &[old_key.as_bytes()], "totp");
    assert_eq!(ring.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");

    // Without the previous key, the events chained under it are not this panel's.
    std::fs::rename(dir.path().join("previous-secret.keys"), dir.path().join("kept-elsewhere")).unwrap();
    let (code, stdout, _) = dev(&["audit", "verify", "--no-anchor"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("FAILED at position 1: chained under key {old_id}")), "{stdout}");
}

#[test]
fn rotate_key_prints_a_new_key_once_when_the_key_is_configured_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(lawha(dir.path())
        .args(["admin", "rotate-key"])
        .env("LAWHA_ENV", "test")
        .env("LAWHA_SECRET_KEY", TEST_SECRET));
    assert_eq!(code, 0, "{stderr}");
    let key = stdout.trim();
    assert!(stdout.lines().count() == 1 && key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()), "{stdout}");
    assert!(stderr.contains("previous_secret_keys") && stderr.contains("env LAWHA_SECRET_KEY"), "{stderr}");
    assert!(!stderr.contains(TEST_SECRET) && !stderr.contains(key), "no key on standard error: {stderr}");
    assert!(!dir.path().join("previous-secret.keys").exists() && !dir.path().join("secret.key").exists());
}
