//! Backups through the API on PostgreSQL with Redis and the in-process backup worker: a plan's validation
//! (every problem named, nothing recorded), a directory backed up, verified by the worker and restored byte for
//! byte into a new folder; a database password never shown again; a tampered archive found by a verification;
//! and a failure reported as failed with its reason.

use crate::common;

use std::{
    os::unix::fs::PermissionsExt as _,
    path::Path,
    time::{Duration, Instant},
};

use lawha_config::Secret;
use lawha_domain::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(crate) async fn app() -> (common::TestApp, lawha_store::testkit::TestDb) {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
    config.jobs.namespace = lawha_jobs::testkit::namespace();
    (common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await, db)
}

/// A signed-in administrator's session: creating plans and restoring need a person, not a token.
pub(crate) struct Caller {
    cookie: String,
    csrf: String,
}

/// Creates the admin `amira` and signs her in.
pub(crate) async fn signed_in_admin(app: &common::TestApp) -> Caller {
    common::create_user(app, "amira", Role::Admin, "a long enough password").await;
    let mut browser = common::Browser::open(app).await;
    browser.sign_in("amira", "a long enough password").await;
    Caller { cookie: browser.cookie.clone(), csrf: browser.csrf.clone() }
}

pub(crate) async fn call(
    app: &common::TestApp,
    token: &Caller,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request =
        app.client.request(method, app.url(path)).header("cookie", &token.cookie).header("x-csrf-token", &token.csrf);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls a run until `done` holds for it, or fails after 60 s with the last answer.
pub(crate) async fn wait_run(
    app: &common::TestApp,
    token: &Caller,
    run: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, body) = call(app, token, reqwest::Method::GET, &format!("/api/v1/backup-runs/{run}"), None).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "the run did not reach {what} within 60 s: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("conf/nested")).unwrap();
    std::fs::write(root.join("conf/app.toml"), "listen = \"127.0.0.1:8080\"\n".repeat(200)).unwrap();
    std::fs::write(
        root.join("conf/nested/data.bin"),
        (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::set_permissions(root.join("conf/app.toml"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("conf/app.toml", root.join("current.toml")).unwrap();
}

fn same_file(a: &Path, b: &Path) {
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap(), "{} differs", b.display());
    let (ma, mb) = (std::fs::metadata(a).unwrap(), std::fs::metadata(b).unwrap());
    assert_eq!(ma.permissions().mode(), mb.permissions().mode(), "{} mode", b.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_is_backed_up_verified_and_restored_through_the_api() {
    let (app, _db) = app().await;
    let token = signed_in_admin(&app).await;
    let work = tempfile::tempdir().unwrap();
    let (source, destination, restored) =
        (work.path().join("site"), work.path().join("backups"), work.path().join("restored"));
    tree(&source);

    let (status, bad) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/backup-plans",
        Some(json!({
            "name": "../x", "source": {"kind": "directory", "path": work.path().join("nope")},
            "destination": {"kind": "local", "path": "relative"}, "schedule": "61 * * * *", "compression_level": 40
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    for field in ["name", "source.path", "destination.path", "schedule", "compression_level"] {
        assert!(bad["error"]["details"]["fields"][field].is_string(), "{field} is not named: {bad}");
    }
    let (_, plans) = call(&app, &token, reqwest::Method::GET, "/api/v1/backup-plans", None).await;
    assert_eq!(plans["plans"], json!([]), "a refused plan leaves nothing");

    let (status, created) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/backup-plans",
        Some(json!({
            "name": "site", "source": {"kind": "directory", "path": source},
            "destination": {"kind": "local", "path": destination}, "schedule": null,
            "retention": {"keep_last": 2}, "compression_level": 3
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plan = created["id"].as_str().unwrap().to_owned();
    let (status, requested) =
        call(&app, &token, reqwest::Method::POST, &format!("/api/v1/backup-plans/{plan}/run"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{requested}");
    let run = requested["run_id"].as_str().unwrap().to_owned();
    let done =
        wait_run(&app, &token, &run, "completed", |r| r["status"] == "completed" || r["status"] == "failed").await;
    assert_eq!(done["status"], "completed", "{done}");
    let archive = done["archive_path"].as_str().unwrap();
    assert!(archive.starts_with(destination.join("site").to_str().unwrap()) && archive.ends_with(".tar.zst"), "{done}");
    assert_eq!(std::fs::metadata(archive).unwrap().len(), done["size_bytes"].as_u64().unwrap());
    assert_eq!(done["sha256"].as_str().map(str::len), Some(64));

    let (status, _) =
        call(&app, &token, reqwest::Method::POST, &format!("/api/v1/backup-runs/{run}/verify"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let verified = wait_run(&app, &token, &run, "a verification", |r| {
        r["last_verify"]["state"] == "ok" || r["last_verify"]["state"] == "failed"
    })
    .await;
    assert_eq!(verified["last_verify"]["state"], "ok", "{verified}");

    let (status, _) = call(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/backup-runs/{run}/restore"),
        Some(json!({"target": {"path": restored}})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let after = wait_run(&app, &token, &run, "a restore", |r| {
        r["last_restore"]["state"] == "restored" || r["last_restore"]["state"] == "failed"
    })
    .await;
    assert_eq!(after["last_restore"]["state"], "restored", "{after}");
    same_file(&source.join("conf/app.toml"), &restored.join("conf/app.toml"));
    same_file(&source.join("conf/nested/data.bin"), &restored.join("conf/nested/data.bin"));
    assert_eq!(std::fs::read_link(restored.join("current.toml")).unwrap(), Path::new("conf/app.toml"));

    // A changed byte is found by the next verification, with its own message.
    let mut bytes = std::fs::read(archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(archive, bytes).unwrap();
    call(&app, &token, reqwest::Method::POST, &format!("/api/v1/backup-runs/{run}/verify"), None).await;
    let tampered =
        wait_run(&app, &token, &run, "a failed verification", |r| r["last_verify"]["state"] == "failed").await;
    assert!(
        tampered["last_verify"]["message"].as_str().is_some_and(|m| m.to_lowercase().contains("sha-256")),
        "{tampered}"
    );
    app.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_password_is_never_shown_and_a_failure_says_why() {
    let (app, _db) = app().await;
    let token = signed_in_admin(&app).await;
    let work = tempfile::tempdir().unwrap();
    let (status, created) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/backup-plans",
        Some(json!({
            "name": "nowhere", "source": {"kind": "postgres", "url": "postgres://app:s3cret-pw@127.0.0.1:1/app"},
            "destination": {"kind": "local", "path": work.path()}, "schedule": "0 3 * * *", "timezone": "Asia/Riyadh"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plan = created["id"].as_str().unwrap().to_owned();
    let (_, shown) = call(&app, &token, reqwest::Method::GET, &format!("/api/v1/backup-plans/{plan}"), None).await;
    assert_eq!(shown["source"]["url"], "postgres://app:***@127.0.0.1:1/app", "{shown}");
    let (_, requested) =
        call(&app, &token, reqwest::Method::POST, &format!("/api/v1/backup-plans/{plan}/run"), None).await;
    let run = requested["run_id"].as_str().unwrap().to_owned();
    let failed = wait_run(&app, &token, &run, "failed", |r| r["status"] == "failed").await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("pg_dump"), "the failure names the command: {failed}");
    let log = app.state.db.events.read_all(0, 10_000, &lawha_store::EventFilter::default()).await.unwrap();
    let everything = format!("{log:?}{shown}{failed}");
    assert!(!everything.contains("s3cret-pw"), "the password leaked into the log or the API");
    let files: Vec<_> = walk(work.path());
    assert!(files.iter().all(|f| !f.ends_with(".zst")), "no archive under a final name after a failure: {files:?}");
    app.stop().await.expect("stops");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}
