//! A worker killed mid-job: its job reads "worker lost, will be retried" on the pages as soon as the worker's
//! heartbeat is late, not "Running" under the dead worker's name until another worker takes the job over; and the
//! abandoned attempt's duration is the time from its start to its end, as its row says.

use crate::common;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{Browser, TestApp};
use lawha_config::Secret;
use lawha_domain::{jobs::AttemptResult, users::Role};
use lawha_jobs::testkit;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

/// A `lawha worker --queues diagnostics` process on the app's database and Redis namespace.
fn worker(app: &TestApp, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lawha"))
        .args(["worker", "--queues", "diagnostics"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LAWHA_ENV", "test")
        .env("LAWHA_DATA_DIR", dir)
        .env("LAWHA_DATABASE_URL", app.state.config.database_url.expose())
        .env("LAWHA_REDIS_URL", testkit::redis_url())
        .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
        .env("LAWHA_JOBS__NAMESPACE", &app.state.config.jobs.namespace)
        .env("LAWHA_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting `lawha worker`")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_reads_worker_lost_as_soon_as_its_heartbeat_is_late() {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(testkit::redis_url()));
    config.jobs.namespace = testkit::namespace();
    let app = common::spawn_with(config, dir, axum::Router::new()).await;
    common::create_user(&app, "amira", Role::Admin, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let worker_dir = tempfile::tempdir().unwrap();
    let mut doomed = worker(&app, worker_dir.path());

    let response = browser.send_json(reqwest::Method::POST, "/api/v1/admin/probe", &json!({"sleep_ms": 120_000})).await;
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    let job = body["job_id"].as_str().unwrap().to_owned();
    common::eventually(Duration::from_secs(30), "the worker to run the job", || async {
        let page = browser.page(&format!("/jobs/{job}")).await.text().await.unwrap();
        page.contains("data-state=\"running\"")
    })
    .await;
    let page = browser.page(&format!("/jobs/{job}")).await.text().await.unwrap();
    assert!(!page.contains("data-worker-lost"), "a live worker's job is not lost");

    let _ = doomed.kill();
    let _ = doomed.wait();
    let killed = Instant::now();
    common::eventually(Duration::from_secs(12), "the job page to say the worker was lost", || async {
        let page = browser.page(&format!("/jobs/{job}")).await.text().await.unwrap();
        page.contains("data-worker-lost") && page.contains("Worker lost, will be retried")
    })
    .await;
    println!("shown as worker lost {:?} after the kill", killed.elapsed());
    let list = browser.page("/jobs").await.text().await.unwrap();
    assert!(list.contains("data-worker-lost"), "the list says it too");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_attempts_duration_is_from_its_start_to_its_end() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let job = common::jobs::probe(&app, 3).await;
    common::jobs::start(&app, &job, 1, "w-dead").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The queue delivers the message again: attempt 1 is recorded as abandoned and attempt 2 starts.
    common::jobs::start(&app, &job, 1, "w-alive").await;
    common::jobs::finish(&app, &job, 2, AttemptResult::Succeeded { output: json!({}) }, 5).await;
    common::eventually(Duration::from_secs(15), "the jobs projection to show the success", || async {
        sqlx::query_scalar::<_, String>("SELECT state FROM jobs WHERE job_id = $1")
            .bind(job.id.to_string())
            .fetch_optional(&app.state.db.read_models)
            .await
            .unwrap()
            .is_some_and(|s| s == "succeeded")
    })
    .await;
    let (started, finished, duration): (i64, i64, i64) = sqlx::query_as(
        "SELECT started_at, finished_at, duration_ms FROM job_attempts WHERE job_id = $1 AND attempt = 1",
    )
    .bind(job.id.to_string())
    .fetch_one(&app.state.db.read_models)
    .await
    .unwrap();
    assert_eq!(duration, (finished - started) / 1000, "the abandoned attempt's times and duration agree");
    assert!(duration >= 1400, "it ran from its start until it was found abandoned: {duration} ms");
    let body: Value = app
        .client
        .get(app.url(&format!("/api/v1/jobs/{}", job.id)))
        .bearer_auth(common::token(&app, "viewer", Role::Viewer, lawha_domain::users::Scope::Read).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["attempts"][0]["duration_ms"], duration, "{body}");
    app.stop().await.unwrap();
}
