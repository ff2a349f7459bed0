//! The `lawha-cert-worker` binary: its help, and a clean stop on SIGTERM while it serves its host's queue and
//! runs the renewal check.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use lawha_store::testkit::TestDb;

const BINARY: &str = env!("CARGO_BIN_EXE_lawha-cert-worker");

#[test]
fn the_binary_explains_itself() {
    let out = Command::new(BINARY).arg("--help").output().expect("the binary runs");

    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("certificates.<host>") && text.contains("--metrics-listen"), "{text}");
}

#[tokio::test]
async fn sigterm_stops_the_worker_and_it_exits_0() {
    let db = TestDb::postgres().await;
    let (_queues, namespace) = lawha_jobs::testkit::redis_queues().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("LAWHA_ENV", "test")
        .env("LAWHA_DATA_DIR", dir.path())
        .env("LAWHA_DATABASE_URL", &db.url)
        .env("LAWHA_REDIS_URL", lawha_jobs::testkit::redis_url())
        .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
        .env("LAWHA_JOBS__NAMESPACE", &namespace)
        .env("LAWHA_LOG__LEVEL", "warn")
        .env("LAWHA_DEPLOYMENTS__HOST", "web-9")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(child.try_wait().unwrap().is_none(), "the worker stopped by itself");

    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the worker did not stop within 20 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "exit status {status}: {stderr}");
}
