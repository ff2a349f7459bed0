//! A backup run's page in a browser while the run goes on: the worker's facts are recorded on the run's stream
//! by the test (as `lawha-backup-worker` records them), and the open page follows without a reload by hand: the
//! status section refreshes (requested → running), progress lines arrive in the log over Server-Sent Events, and
//! when the run completes the page shows it with the actions a completed run offers.

use chrono::Utc;
use lawha::backups::{self, PlanInput};
use lawha_domain::{
    Aggregate, DomainEvent as _, ExpectedVersion, Metadata,
    backups::{BackupRun, RunCommand, RunEvent},
    load,
    users::Role,
};
use uuid::Uuid;

use crate::{
    browser::harness::{Browser, WAIT},
    browser::panel::{PASSWORD, Panel},
    common::jobs::log_line,
};

/// Records a worker's fact on the run, as the worker does: decide on the stream, append at the version read.
async fn record(panel: &Panel, run_id: Uuid, fact: RunEvent) {
    let db = &panel.app.state.db;
    let stream = BackupRun::stream(run_id);
    let history = db.events.read_stream(&stream, 0, i64::MAX).await.unwrap();
    let (run, version) = load::<BackupRun>(&history).unwrap();
    let events = run.decide(&RunCommand::Record(fact), Utc::now()).expect("the run takes the fact");
    let new = events.iter().map(|e| e.to_new_event_with_id(Uuid::now_v7(), Metadata::default())).collect();
    db.events.append(&stream, ExpectedVersion::Exact(version), new).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_page_follows_the_run_until_it_completes() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Admin).await;
    let work = tempfile::tempdir().unwrap();
    let input: PlanInput = serde_json::from_value(serde_json::json!({
        "name": "site", "source": {"kind": "directory", "path": work.path()},
        "destination": {"kind": "local", "path": work.path().join("backups")}
    }))
    .unwrap();
    let db = &panel.app.state.db;
    let seal = backups::seal_key(panel.app.state.config.secret_key_bytes());
    let policy = backups::path_policy(&panel.app.state.config);
    let plan_id = backups::create_plan(db, &seal, &policy, input, &Metadata::default()).await.unwrap();
    // No worker runs here (the panel's workers are off): the test plays it.
    let requested = backups::request_run(db, plan_id, &Metadata::default()).await.unwrap();
    let run_id = requested.run_id;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("amira", PASSWORD).await;

    let path = format!("/backups/runs/{run_id}");
    browser.goto(&path).await;
    browser.wait_for("[data-live='refresh'] dd[data-status='requested']", WAIT).await;

    record(&panel, run_id, RunEvent::BackupStarted { attempt: 1, worker: "backup-test-1".into() }).await;
    browser.wait_for("[data-live='refresh'] dd[data-status='running']", WAIT).await;
    let progress = log_line(&panel.app, requested.job_id, 1, "read 48.0 MiB (51.2 MB/s), stored 9.1 MiB").await;
    browser.wait_for(&format!(".job-log li[data-log-id='{progress}']"), WAIT).await;
    assert!(browser.text(".job-log").await.contains("51.2 MB/s"), "the progress line shows");
    browser.screenshot("backups-01-running").await;
    assert_eq!(browser.path().await, path, "no navigation by hand");

    let sha = "ab".repeat(32);
    record(&panel, run_id, RunEvent::BackupVerifying { attempt: 1, size_bytes: 9_500_000 }).await;
    record(
        &panel,
        run_id,
        RunEvent::BackupCompleted {
            attempt: 1,
            archive_path: format!("{}/site/x.tar.zst", work.path().join("backups").display()),
            manifest_path: format!("{}/site/x.tar.zst.manifest.json", work.path().join("backups").display()),
            size_bytes: 9_500_000,
            source_bytes: 50_331_648,
            sha256: sha.clone(),
            entries: 12,
            skipped: vec![],
            duration_ms: 980,
        },
    )
    .await;
    browser.wait_for("[data-run-status='completed']", WAIT).await;
    assert!(browser.texts("[data-live='refresh']").await.is_empty(), "a finished run stops refreshing");
    assert_eq!(browser.text("[data-sha256]").await, sha);
    browser.wait_for("form[data-form='verify']", WAIT).await;
    browser.wait_for("form[data-form='restore']", WAIT).await;
    browser.screenshot("backups-02-completed").await;

    browser.close().await;
    panel.stop().await;
}
