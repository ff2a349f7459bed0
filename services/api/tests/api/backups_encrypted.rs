//! Through the API, with the in-process backup worker: a plan encrypted for an age recipient keeps no plaintext
//! at its destination, verifies with and without the identity, refuses a restore without it and restores with
//! it byte for byte; and retention, applied after each verified run, keeps exactly what the plan says and records
//! each removal on the removed run.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    backups::{Caller, app, call, signed_in_admin, wait_run},
    common,
};

async fn run_to_end(app: &common::TestApp, token: &Caller, plan: &str) -> Value {
    let (status, requested) = call(app, token, Method::POST, &format!("/api/v1/backup-plans/{plan}/run"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{requested}");
    let run = requested["run_id"].as_str().unwrap().to_owned();
    wait_run(app, token, &run, "the end of the run", |r| r["status"] == "completed" || r["status"] == "failed").await
}

async fn check(app: &common::TestApp, token: &Caller, run: &str, what: &str, body: Value) -> Value {
    let key = if what == "verify" { "last_verify" } else { "last_restore" };
    let (status, accepted) =
        call(app, token, Method::POST, &format!("/api/v1/backup-runs/{run}/{what}"), Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let job = accepted["job_id"].clone();
    let done = wait_run(app, token, run, what, |r| r[key]["job_id"] == job && r[key]["state"] != "requested").await;
    done[key].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_plan_stores_no_plaintext_and_restores_only_with_its_identity() {
    let (app, _db) = app().await;
    let token = signed_in_admin(&app).await;
    let work = tempfile::tempdir().unwrap();
    let (source, destination) = (work.path().join("site"), work.path().join("backups"));
    std::fs::create_dir_all(&source).unwrap();
    let secret_text = "the plaintext that must never reach the destination\n".repeat(2000);
    std::fs::write(source.join("notes.txt"), &secret_text).unwrap();
    let keys = lawha_backup::encryption::generate_identity();

    let (status, created) = call(
        &app,
        &token,
        Method::POST,
        "/api/v1/backup-plans",
        Some(json!({
            "name": "sealed", "source": {"kind": "directory", "path": source},
            "destination": {"kind": "local", "path": destination}, "encryption": {"recipient": keys.recipient}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plan = created["id"].as_str().unwrap().to_owned();
    let done = run_to_end(&app, &token, &plan).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (run, archive) = (done["id"].as_str().unwrap().to_owned(), done["archive_path"].as_str().unwrap().to_owned());
    assert!(archive.ends_with(".age"), "an encrypted archive says so in its name: {archive}");
    let stored = std::fs::read(&archive).unwrap();
    assert!(stored.starts_with(b"age-encryption.org/v1"), "the archive is in the age format");
    let needle = b"the plaintext that must never";
    assert!(!stored.windows(needle.len()).any(|w| w == needle), "plaintext in the archive");

    let hashed = check(&app, &token, &run, "verify", json!({})).await;
    assert_eq!(hashed["state"], "ok", "the stored bytes verify without the identity: {hashed}");
    let decoded = check(&app, &token, &run, "verify", json!({"identity": keys.identity})).await;
    assert_eq!(decoded["state"], "ok", "and decrypt and decode with it: {decoded}");
    let other = lawha_backup::encryption::generate_identity();
    let wrong = check(&app, &token, &run, "verify", json!({"identity": other.identity})).await;
    assert_eq!(wrong["state"], "failed", "another identity cannot decrypt it: {wrong}");

    let target = work.path().join("restored");
    let refused = check(&app, &token, &run, "restore", json!({"target": {"path": target}})).await;
    assert_eq!(refused["state"], "failed", "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("age secret key"), "it says why: {refused}");
    assert!(!target.exists(), "a refused restore leaves no target");
    let restored =
        check(&app, &token, &run, "restore", json!({"target": {"path": target}, "identity": keys.identity})).await;
    assert_eq!(restored["state"], "restored", "{restored}");
    assert_eq!(std::fs::read_to_string(target.join("notes.txt")).unwrap(), secret_text);

    let log = app.state.db.events.read_all(0, 10_000, &lawha_store::EventFilter::default()).await.unwrap();
    let text = format!("{log:?}");
    assert!(!text.contains(&keys.identity), "the identity is never recorded in clear");
    assert!(!text.contains("sealed1:") && !text.contains("sealed2:"), "nor sealed: events hold references");
    let requests: Vec<_> =
        log.iter().filter(|e| e.event_type.ends_with("Requested") && e.data["identity_secret"].is_string()).collect();
    assert_eq!(requests.len(), 3, "three requests gave an identity");
    for request in requests {
        let reference = request.data["identity_secret"].as_str().unwrap();
        assert!(reference.starts_with("secret:"), "{reference}");
        let kept = lawha_store::secrets::sealed(&app.state.db.read_models, reference).await.unwrap();
        assert_eq!(kept, None, "the identity of a finished {} is forgotten", request.event_type);
    }
    app.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keeps_what_the_plan_says_and_records_each_removal() {
    let (app, _db) = app().await;
    let token = signed_in_admin(&app).await;
    let work = tempfile::tempdir().unwrap();
    let (source, destination) = (work.path().join("site"), work.path().join("backups"));
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("index.html"), "<h1>hello</h1>\n".repeat(100)).unwrap();
    let (_, created) = call(
        &app,
        &token,
        Method::POST,
        "/api/v1/backup-plans",
        Some(json!({
            "name": "site", "source": {"kind": "directory", "path": source},
            "destination": {"kind": "local", "path": destination}, "retention": {"keep_last": 2}
        })),
    )
    .await;
    let plan = created["id"].as_str().unwrap().to_owned();

    let mut runs = Vec::new();
    for _ in 0..4 {
        let done = run_to_end(&app, &token, &plan).await;
        assert_eq!(done["status"], "completed", "{done}");
        runs.push(done);
        // Archive names carry the start time to the second: keep them apart.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let kept: Vec<_> = std::fs::read_dir(destination.join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar.zst"))
        .collect();
    assert_eq!(kept.len(), 2, "keep_last 2 keeps two archives: {kept:?}");
    for (i, run) in runs.iter().enumerate() {
        let id = run["id"].as_str().unwrap();
        let shown = wait_run(&app, &token, id, "its retention", |r| (i < 2) == r["pruned"].is_string()).await;
        let archive = run["archive_path"].as_str().unwrap();
        if i < 2 {
            assert!(!std::path::Path::new(archive).exists(), "run {i}'s archive is removed");
            assert!(!std::path::Path::new(&format!("{archive}.manifest.json")).exists(), "and its manifest");
            let (status, _) = call(&app, &token, Method::POST, &format!("/api/v1/backup-runs/{id}/verify"), None).await;
            assert_eq!(status, StatusCode::CONFLICT, "a pruned run has nothing to verify");
        } else {
            assert!(std::path::Path::new(archive).exists(), "run {i} is kept: {shown}");
        }
    }
    app.stop().await.expect("stops");
}
