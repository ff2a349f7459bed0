//! The pipeline inside `lawha serve`, on both backends (SQLite with the embedded queue; PostgreSQL with Redis):
//! the built-in daily schedule asks for an audit-chain verification at the first start, the dispatcher queues it,
//! the in-process admin worker runs it and records the verdict; and a probe asked for through the API runs and
//! shows as succeeded through the API (the jobs projection).

use crate::common;

use std::time::{Duration, Instant};

use lawha_config::Secret;
use lawha_domain::users::{Role, Scope};
use lawha_domain::{
    Aggregate as _, DomainEvent as _, StreamId,
    jobs::{JobEvent, JobState},
};
use lawha_store::EventFilter;
use serde_json::{Value, json};

/// Asks for a probe through the API and waits until the API shows it succeeded, with its attempt.
async fn a_probe_runs_and_shows_through_the_api(app: &common::TestApp) {
    let token = common::token(app, "amira", Role::Admin, Scope::Admin).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/probe"))
        .bearer_auth(&token)
        .json(&json!({"sleep_ms": 20}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.expect("json")["job_id"].as_str().expect("job_id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let job: Value = app
            .client
            .get(app.url(&format!("/api/v1/jobs/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .unwrap_or_default();
        if job["state"] == "succeeded" {
            break job;
        }
        assert!(Instant::now() < deadline, "the probe did not show as succeeded within 30 s: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["kind"], "Probe");
    assert_eq!(job["attempts"].as_array().map(Vec::len), Some(1), "{job}");
    assert_eq!(job["attempts"][0]["outcome"], "succeeded", "{job}");
    assert!(job["attempts"][0]["worker"].as_str().is_some_and(|w| w.starts_with("diagnostics-")), "{job}");
    let log: Value = app
        .client
        .get(app.url(&format!("/api/v1/jobs/{id}/log")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert!(log["lines"][0]["line"].as_str().is_some_and(|l| l.contains("sleeping 20 ms")), "{log}");
}

async fn verified_at_first_start(app: &common::TestApp) {
    let events = &app.state.db.events;
    let deadline = Instant::now() + Duration::from_secs(30);
    let verdict = loop {
        let found = events.read_all(0, 1000, &EventFilter::types(["AuditChainVerified"])).await.expect("read_all");
        if let Some(v) = found.into_iter().next() {
            break v;
        }
        assert!(Instant::now() < deadline, "no AuditChainVerified within 30 s of the first start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(verdict.data["ok"], true, "{verdict:?}");
    assert!(verdict.metadata.actor.as_deref().is_some_and(|a| a.starts_with("worker:admin-")), "{verdict:?}");
    let job = verdict.metadata.causation_id.expect("the verdict names its job");
    let request = events.read_stream(&StreamId::parse("audit_chain-main").unwrap(), 0, 10).await.expect("read");
    assert_eq!(request[0].event_type, "AuditChainVerifyRequested");
    assert_eq!(request[0].event_id, job, "the job id is the id of the request");
    assert_eq!(request[0].metadata.actor.as_deref(), Some("system:scheduler"));
    let facts: Vec<JobEvent> = events
        .read_stream(&JobState::stream(job), 0, 100)
        .await
        .expect("read")
        .iter()
        .map(|e| JobEvent::from_recorded(e).expect("a job event"))
        .collect();
    assert!(
        matches!(&facts[..], [JobEvent::JobStarted { attempt: 1, .. }, JobEvent::JobSucceeded { .. }]),
        "{facts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_end_to_end_on_sqlite_with_the_embedded_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/events.db", dir.path().display());
    let (mut config, data) = common::config(&url);
    config.jobs.audit_verify_cron = Some("17 3 * * *".into());
    let app = common::spawn_with(common::with_workers(config), data, axum::Router::new()).await;
    verified_at_first_start(&app).await;
    a_probe_runs_and_shows_through_the_api(&app).await;
    app.stop().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_end_to_end_on_postgres_with_redis() {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
    config.jobs.namespace = lawha_jobs::testkit::namespace();
    config.jobs.audit_verify_cron = Some("17 3 * * *".into());
    let app = common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await;
    verified_at_first_start(&app).await;
    a_probe_runs_and_shows_through_the_api(&app).await;
    app.stop().await.expect("stops");
}
