//! The `lawha` binary as an operator runs it: configuration checks, secrets kept out of every output, SIGTERM,
//! `audit verify` on an intact and a tampered log, `projections rebuild`, `migrate`.

use crate::common;

use std::{
    process::{Command, Output, Stdio},
    time::Duration,
};

use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use lawha_store::testkit::{TestDb, create_pg_database};
use serde_json::json;

/// The secret the test databases' chains are keyed with (see lawha_store::testkit).
const TEST_SECRET: &str = "lawha-test-secret-key-0123456789abcdef";

/// `lawha` with a clean environment: no inherited LAWHA_* variable, a data directory of its own.
fn lawha(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lawha"));
    command.env_clear().env("PATH", "/usr/bin:/bin").env("LAWHA_DATA_DIR", data_dir);
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().expect("running lawha");
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&stdout).into(), String::from_utf8_lossy(&stderr).into())
}

#[test]
fn config_check_reports_every_problem_at_once_and_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(lawha(dir.path())
        .args(["config", "check"])
        .env("LAWHA_ENV", "production")
        .env("LAWHA_SECRET_KEY", "short-secret-VALUE123")
        .env("LAWHA_DATABASE_URL", "sqlite://./x.db")
        .env("LAWHA_LISTEN", "not-an-address"));
    assert_eq!(code, 78, "stdout: {stdout}\nstderr: {stderr}");
    for key in [
        "secret_key (LAWHA_SECRET_KEY)",
        "database_url (LAWHA_DATABASE_URL)",
        "redis_url (LAWHA_REDIS_URL)",
        "listen (LAWHA_LISTEN)",
    ] {
        assert!(stderr.contains(key), "{key} is not reported:\n{stderr}");
    }
    assert!(!stderr.contains("short-secret-VALUE123") && !stdout.contains("short-secret-VALUE123"));
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(lawha(dir.path())
        .args(["config", "check"])
        .env("LAWHA_ENV", "production")
        .env("LAWHA_SECRET_KEY", "a-very-secret-key-that-is-long-enough-0123456789")
        .env("LAWHA_DATABASE_URL", "postgres://lawha:hunter2pw@db.internal:5432/lawha")
        .env("LAWHA_REDIS_URL", "redis://:redispw@cache:6379/0"));
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(stdout.contains("postgres://lawha:[redacted]@db.internal:5432/lawha"), "{stdout}");
    assert!(stdout.contains("# profile: production"), "{stdout}");
    for secret in ["a-very-secret-key", "hunter2pw", "redispw"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} leaked:\n{stdout}\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs_and_sigterm_stops_the_server_cleanly() {
    let db = TestDb::postgres().await;
    // PostgreSQL trusts loopback here, so a password in the URL is accepted and ignored: a real secret to hunt.
    let url = db.url.replace("postgres://postgres@", "postgres://postgres:hunter2pw@");
    let secret = "production-secret-key-that-must-never-be-logged-0123";
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = lawha(dir.path())
        .arg("serve")
        .env("LAWHA_ENV", "production")
        .env("LAWHA_SECRET_KEY", secret)
        .env("LAWHA_DATABASE_URL", &url)
        .env("LAWHA_REDIS_URL", "redis://:redispw@127.0.0.1:6379/0")
        .env("LAWHA_LISTEN", format!("127.0.0.1:{port}"))
        .env("LAWHA_LOG__LEVEL", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    common::eventually(Duration::from_secs(20), "the server to answer /health/ready", || async {
        client.get(format!("http://127.0.0.1:{port}/health/ready")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let _ = client.get(format!("http://127.0.0.1:{port}/nope")).send().await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            assert!(std::time::Instant::now() < deadline, "lawha did not stop within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let logs = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "SIGTERM must end in a clean exit:\n{logs}");
    assert!(logs.lines().any(|l| l.starts_with('{') && l.contains("\"serving\"")), "production logs are JSON:\n{logs}");
    assert!(logs.contains("shutdown requested"), "{logs}");
    for leaked in [secret, "hunter2pw", "redispw"] {
        assert!(!logs.contains(leaked), "{leaked} appears in the logs:\n{logs}");
    }
}

async fn append_notes(db: &TestDb, n: usize) {
    for i in 0..n {
        let stream = StreamId::parse(format!("note-{}", i % 3)).unwrap();
        let event = NewEvent::new("NoteRecorded", json!({"n": i}), Metadata::default());
        db.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
}

fn with_db(dir: &std::path::Path, url: &str, args: &[&str]) -> (i32, String, String) {
    run(lawha(dir)
        .args(args)
        .env("LAWHA_ENV", "test")
        .env("LAWHA_SECRET_KEY", TEST_SECRET)
        .env("LAWHA_DATABASE_URL", url))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_prints_ok_then_names_the_tampered_position() {
    let db = TestDb::postgres().await;
    append_notes(&db, 6).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = with_db(dir.path(), &db.url, &["audit", "verify"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("ok: 6 events, head ") && first.len() == "ok: 6 events, head ".len() + 80, "{stdout}");

    sqlx::query("UPDATE events SET data = jsonb_set(data::jsonb, '{n}', '99')::json WHERE position = 4")
        .execute(db.db.pg_pool().unwrap())
        .await
        .unwrap();
    let (code, stdout, _) = with_db(dir.path(), &db.url, &["audit", "verify"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("position 4"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_fails_with_another_secret_key() {
    let db = TestDb::postgres().await;
    append_notes(&db, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(lawha(dir.path())
        .args(["audit", "verify"])
        .env("LAWHA_ENV", "test")
        .env("LAWHA_SECRET_KEY", "another-secret-key-of-32-bytes-or-more-xyz")
        .env("LAWHA_DATABASE_URL", &db.url));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("position 1"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_rebuild_replays_the_log_and_refuses_unknown_names() {
    let db = TestDb::postgres().await;
    append_notes(&db, 25).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = with_db(dir.path(), &db.url, &["projections", "rebuild", "audit_log"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("rebuilt audit_log: 25 events"), "{stdout}");
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(db.db.pg_pool().unwrap()).await.unwrap();
    assert_eq!(rows, 25);

    let (code, stdout, _) = with_db(dir.path(), &db.url, &["projections", "rebuild", "--all"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("rebuilt audit_log: 25 events"), "{stdout}");

    let (code, _, stderr) = with_db(dir.path(), &db.url, &["projections", "rebuild", "no_such_thing"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no projection named \"no_such_thing\"") && stderr.contains("audit_log"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_brings_an_empty_database_to_the_current_schema() {
    let url = create_pg_database().await;
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = with_db(dir.path(), &url, &["migrate"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("ok: schema current"), "{stdout}");
    let db = lawha_store::testkit::connect_url(&url).await;
    assert!(db.migration_status().await.unwrap().is_current());
    db.close().await;
    let admin = lawha_store::testkit::admin_url();
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE \"{name}\" WITH (FORCE)")))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["config", "check", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["admin", "rotate-key", "--help"],
        vec!["projections", "rebuild", "--help"],
        vec!["bench", "append", "--help"],
        vec!["bench", "backup", "--help"],
        vec!["bench", "webhook", "--help"],
    ] {
        let (code, stdout, _) = run(lawha(dir.path()).args(&args));
        assert_eq!(code, 0, "{args:?}");
        assert!(stdout.contains("Usage: lawha"), "{args:?}: {stdout}");
    }
}

#[test]
fn bench_help_lists_backup_but_hides_its_child_process_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(lawha(dir.path()).args(["bench", "--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("backup"), "{stdout}");
    assert!(!stdout.contains("backup-child"), "{stdout}");
}
