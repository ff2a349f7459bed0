//! The jobs API against real PostgreSQL (and SQLite once): the list with its filters and paging, one job with
//! its attempts, retry by hand (who may, when, and what one concurrent loser gets), the job log, the live log
//! over SSE and a rebuild of the read model. Job facts are decided by the job aggregate and appended directly,
//! as the worker runtime will append them.

use crate::common;

use std::time::Duration;

use common::{
    jobs::{self, failed, finish, kill, probe, start, wait_for_state},
    postgres, spawn_app, token,
};
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    jobs::{AttemptResult, JobEvent, JobState},
    users::{Role, Scope},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::get_with_token as get;

async fn post(app: &common::TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.client.post(app.url(path)).bearer_auth(token).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|j| j["job_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_listed_newest_first_filtered_by_state_and_kind_and_paged() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let viewer = token(&app, "vera", Role::Viewer, Scope::Read).await;
    let dead = probe(&app, 1).await;
    kill(&app, &dead).await;
    let done = probe(&app, 3).await;
    start(&app, &done, 1, "probe-host").await;
    finish(&app, &done, 1, AttemptResult::Succeeded { output: json!({"n": 1}) }, 5).await;
    let audit = jobs::request(&app, "AuditChainVerifyRequested", "audit_chain-main", json!({})).await;
    wait_for_state(&app, dead.id, "dead").await;
    wait_for_state(&app, done.id, "succeeded").await;
    wait_for_state(&app, audit.id, "queued").await;

    let (status, all) = get(&app, &viewer, "/api/v1/jobs").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [audit.id, done.id, dead.id].map(|id| id.to_string()), "newest request first");
    assert_eq!(all["next_before"], Value::Null);
    assert_eq!(all["items"][0]["kind"], "VerifyAuditChain");
    assert_eq!(all["items"][0]["queue"], "admin");
    assert_eq!(all["items"][0]["requested_by"], "AuditChainVerifyRequested");

    let (_, by_state) = get(&app, &viewer, "/api/v1/jobs?state=dead").await;
    assert_eq!(ids(&by_state), [dead.id.to_string()]);
    let (_, by_kind) = get(&app, &viewer, "/api/v1/jobs?kind=Probe").await;
    assert_eq!(ids(&by_kind), [done.id, dead.id].map(|id| id.to_string()));
    let (_, both) = get(&app, &viewer, "/api/v1/jobs?kind=Probe&state=queued").await;
    assert_eq!(ids(&both), Vec::<String>::new());

    let (_, first) = get(&app, &viewer, "/api/v1/jobs?limit=2").await;
    assert_eq!(ids(&first), [audit.id, done.id].map(|id| id.to_string()));
    let before = first["next_before"].as_i64().expect("a next page");
    let (_, second) = get(&app, &viewer, &format!("/api/v1/jobs?limit=2&before={before}")).await;
    assert_eq!(ids(&second), [dead.id.to_string()]);
    assert_eq!(second["next_before"], Value::Null);

    let (status, body) = get(&app, &viewer, "/api/v1/jobs?state=exploded").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_query");
    assert!(body["error"]["details"]["valid"].as_array().unwrap().contains(&json!("dead")), "{body}");
    let (status, body) = get(&app, &viewer, "/api/v1/jobs?kind=Teleport").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["details"]["valid"],
        json!([
            "VerifyAuditChain",
            "RebuildProjection",
            "Probe",
            "RunBackup",
            "VerifyBackup",
            "RestoreBackup",
            "Deploy",
            "IssueCertificate",
            "RenewCertificate"
        ])
    );
    for bad in ["limit=0", "limit=201", "before=x", "colour=red", "limit=", "before="] {
        let (status, body) = get(&app, &viewer, &format!("/api/v1/jobs?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{bad}: {body}");
    }
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_shows_its_attempts_with_workers_timings_and_errors() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let viewer = token(&app, "vera", Role::Viewer, Scope::Read).await;
    let job = probe(&app, 2).await;
    kill(&app, &job).await;
    wait_for_state(&app, job.id, "dead").await;

    let (status, detail) = get(&app, &viewer, &format!("/api/v1/jobs/{}", job.id)).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!((detail["state"].as_str(), detail["attempt"].as_i64()), (Some("dead"), Some(2)));
    assert_eq!(detail["max_attempts"], 2);
    assert_eq!(detail["last_error"], "boom 2");
    assert_eq!(detail["retryable_by_hand"], true);
    assert_eq!(detail["correlation_id"], job.id.to_string());
    assert!(detail["finished_at"].is_string() && detail["started_at"].is_string(), "{detail}");
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{detail}");
    for (i, attempt) in attempts.iter().enumerate() {
        let n = i64::try_from(i).unwrap() + 1;
        assert_eq!(attempt["attempt"], n);
        assert_eq!(attempt["worker"], format!("probe-host-{n}"));
        assert_eq!(attempt["outcome"], "failed");
        assert_eq!(attempt["error"], format!("boom {n}"));
        assert_eq!(attempt["duration_ms"], 10 * n);
        assert!(attempt["started_at"].is_string() && attempt["finished_at"].is_string(), "{attempt}");
    }

    for missing in ["/api/v1/jobs/not-a-uuid", &format!("/api/v1/jobs/{}", uuid::Uuid::now_v7())] {
        let (status, body) = get(&app, &viewer, missing).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_failed_or_dead_jobs_are_retried_and_the_retry_records_who_asked() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    // A probe is an admin's request, so retrying one needs an admin (an operator is refused below).
    let operator = token(&app, "omar", Role::Admin, Scope::Admin).await;
    let viewer = token(&app, "vera", Role::Viewer, Scope::Read).await;
    let real_operator = token(&app, "olga", Role::Operator, Scope::Operate).await;
    let queued = probe(&app, 2).await;
    let running = probe(&app, 2).await;
    start(&app, &running, 1, "probe-host").await;
    let dead = probe(&app, 1).await;
    kill(&app, &dead).await;
    let failed_job = probe(&app, 3).await;
    start(&app, &failed_job, 1, "probe-host").await;
    let permanent = AttemptResult::Failed { error: lawha_domain::Message::text("bad input"), retryable: false };
    finish(&app, &failed_job, 1, permanent, 3).await;
    wait_for_state(&app, dead.id, "dead").await;
    wait_for_state(&app, failed_job.id, "failed").await;
    wait_for_state(&app, running.id, "running").await;

    for (job, state) in [(queued.id, "queued"), (running.id, "running")] {
        let (status, body) = post(&app, &operator, &format!("/api/v1/jobs/{job}/retry")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "not_retryable");
        let expected = format!("only a failed or dead job can be retried; this one is {state}");
        assert_eq!(body["error"]["message"], expected);
    }
    let (status, _) = post(&app, &viewer, &format!("/api/v1/jobs/{}/retry", dead.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers cannot retry");
    let (status, body) = post(&app, &real_operator, &format!("/api/v1/jobs/{}/retry", dead.id)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator cannot re-run an admin's probe: {body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(
        body["error"]["message"],
        "retrying a Probe job needs the admin level, the level of the request that made it"
    );
    let history = app.state.db.events.read_stream(&JobState::stream(dead.id), 0, i64::MAX).await.unwrap();
    assert!(history.iter().all(|e| e.event_type != "JobRetryRequested"), "the refusal recorded nothing");
    let (status, _) = post(&app, &operator, &format!("/api/v1/jobs/{}/retry", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = post(&app, &operator, &format!("/api/v1/jobs/{}/retry", dead.id)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"job_id": dead.id, "attempt": 2}));
    let stream = JobState::stream(dead.id);
    let history = app.state.db.events.read_stream(&stream, 0, i64::MAX).await.unwrap();
    let retry = history.last().unwrap();
    assert_eq!(retry.event_type, "JobRetryRequested");
    assert_eq!(retry.data["attempt"], 2);
    assert_eq!(retry.data["job"]["attempt"], 2);
    assert_eq!(retry.metadata.actor.as_deref(), Some("token:omar/tests"));
    assert!(retry.metadata.request_id.is_some() && retry.metadata.ip.is_some(), "{:?}", retry.metadata);
    assert_eq!(retry.metadata.correlation_id, Some(dead.id));
    wait_for_state(&app, dead.id, "retrying").await;
    let (status, body) = post(&app, &operator, &format!("/api/v1/jobs/{}/retry", dead.id)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["message"], "only a failed or dead job can be retried; this one is retrying");

    let (status, body) = post(&app, &operator, &format!("/api/v1/jobs/{}/retry", failed_job.id)).await;
    assert_eq!((status, body["attempt"].as_i64()), (StatusCode::ACCEPTED, Some(2)), "{body}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_retries_record_one_and_refuse_the_other_with_409() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let operator = token(&app, "omar", Role::Admin, Scope::Admin).await;
    let job = probe(&app, 1).await;
    kill(&app, &job).await;
    wait_for_state(&app, job.id, "dead").await;

    let path = format!("/api/v1/jobs/{}/retry", job.id);
    let (a, b) = tokio::join!(post(&app, &operator, &path), post(&app, &operator, &path));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::ACCEPTED, StatusCode::CONFLICT], "{a:?} {b:?}");
    let refused = if a.0 == StatusCode::CONFLICT { a.1 } else { b.1 };
    assert!(["conflict", "not_retryable"].contains(&refused["error"]["code"].as_str().unwrap()), "{refused}");
    let history = app.state.db.events.read_stream(&JobState::stream(job.id), 0, i64::MAX).await.unwrap();
    let retries = history.iter().filter(|e| e.event_type == "JobRetryRequested").count();
    assert_eq!(retries, 1, "exactly one retry is recorded");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_endpoint_pages_through_a_jobs_lines_oldest_first() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let viewer = token(&app, "vera", Role::Viewer, Scope::Read).await;
    let job = probe(&app, 1).await;
    let other = probe(&app, 1).await;
    wait_for_state(&app, other.id, "queued").await;
    let mut written = vec![];
    for i in 1..=5 {
        written.push(jobs::log_line(&app, job.id, 1, &format!("line {i}")).await);
        jobs::log_line(&app, other.id, 1, "someone else's").await;
    }

    let (status, page) = get(&app, &viewer, &format!("/api/v1/jobs/{}/log?limit=2", job.id)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let texts = |p: &Value| p["lines"].as_array().unwrap().iter().map(|l| l["line"].clone()).collect::<Vec<_>>();
    assert_eq!(texts(&page), [json!("line 1"), json!("line 2")]);
    assert_eq!(page["lines"][0]["id"], written[0]);
    assert_eq!(page["lines"][0]["attempt"], 1);
    assert!(page["lines"][0]["at"].is_string());
    assert_eq!(page["next_after"], written[1]);
    let (_, rest) = get(&app, &viewer, &format!("/api/v1/jobs/{}/log?after={}", job.id, written[1])).await;
    assert_eq!(texts(&rest), [json!("line 3"), json!("line 4"), json!("line 5")]);
    assert_eq!(rest["next_after"], written[4]);
    let (_, empty) = get(&app, &viewer, &format!("/api/v1/jobs/{}/log?after={}", job.id, written[4])).await;
    assert_eq!(empty, json!({"lines": [], "next_after": written[4]}));

    let (status, _) = get(&app, &viewer, &format!("/api/v1/jobs/{}/log", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &viewer, &format!("/api/v1/jobs/{}/log?after=-1", job.id)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_sends_the_followed_jobs_new_log_lines() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let viewer = token(&app, "vera", Role::Viewer, Scope::Read).await;
    let job = probe(&app, 1).await;
    let other = probe(&app, 1).await;
    let seen = jobs::log_line(&app, job.id, 1, "already on the page").await;

    let url = app.url(&format!("/api/v1/events/stream?job={}&log_after={seen}", job.id));
    let mut response = app.client.get(url).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    jobs::log_line(&app, other.id, 1, "not this job").await;
    let id = jobs::log_line(&app, job.id, 1, "live line").await;
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("live line") {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no job_log event arrived; got {text:?}");
    let at = text.find("live line").unwrap();
    let event_start = text[..at].rfind("event:").expect("an event line");
    assert!(text[event_start..].starts_with("event: job_log") || text[event_start..].starts_with("event:job_log"));
    let data = text[event_start..].lines().find(|l| l.starts_with("data:")).unwrap();
    let line: Value = serde_json::from_str(data.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(
        (line["id"].as_i64(), line["line"].as_str(), line["attempt"].as_i64()),
        (Some(id), Some("live line"), Some(1))
    );
    assert!(!text.contains("already on the page") && !text.contains("not this job"), "{text}");
    let bad = app.client.get(app.url("/api/v1/events/stream?job=nope")).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    drop(response);
    app.stop().await.unwrap();
}

/// Every row of both tables, as text, in a stable order.
async fn snapshot(db: &lawha_store::testkit::TestDb) -> (Vec<String>, Vec<String>) {
    let pool = db.db.pg_pool().unwrap();
    let jobs = sqlx::query_scalar("SELECT row_to_json(j)::text FROM jobs j ORDER BY job_id").fetch_all(pool);
    let attempts =
        sqlx::query_scalar("SELECT row_to_json(a)::text FROM job_attempts a ORDER BY job_id, attempt").fetch_all(pool);
    (jobs.await.unwrap(), attempts.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_the_jobs_projection_yields_identical_rows() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let dead = probe(&app, 2).await;
    kill(&app, &dead).await;
    let done = probe(&app, 3).await;
    start(&app, &done, 1, "probe-host").await;
    finish(&app, &done, 1, failed("flaky"), 4).await;
    start(&app, &done, 2, "probe-host").await;
    finish(&app, &done, 2, AttemptResult::Succeeded { output: json!({"rows": 3}) }, 6).await;
    let queued =
        jobs::request(&app, "ProjectionRebuildRequested", "projection-jobs", json!({"projection": "jobs"})).await;
    // A request the registry refuses still gets a row, which the dispatcher's JobDispatchFailed then ends.
    let request = NewEvent::new("ProbeRequested", json!({"outcome": "explode"}), Metadata::default());
    let refused = request.event_id;
    let probe_stream = StreamId::parse("probe-refused").unwrap();
    app.state.db.events.append(&probe_stream, ExpectedVersion::Exact(0), vec![request]).await.unwrap();
    let failure = JobEvent::JobDispatchFailed {
        requested_by: "ProbeRequested".into(),
        error: lawha_domain::Message::text("Probe refused"),
    };
    let event = failure.to_new_event_with_id(failure.event_id(refused), Metadata::default());
    app.state.db.events.append(&JobState::stream(refused), ExpectedVersion::Exact(0), vec![event]).await.unwrap();
    wait_for_state(&app, dead.id, "dead").await;
    wait_for_state(&app, done.id, "succeeded").await;
    wait_for_state(&app, queued.id, "queued").await;
    wait_for_state(&app, refused, "dispatch_failed").await;

    let before = snapshot(&db).await;
    assert_eq!(before.0.len(), 4);
    assert_eq!(before.1.len(), 4, "two attempts each for the dead and the succeeded job");
    let runner = lawha::app::projection_runner(&app.state.config, &app.state.db);
    let projection = runner.find("jobs").expect("the jobs projection is registered");
    runner.rebuild(projection.as_ref()).await.unwrap();
    assert_eq!(snapshot(&db).await, before, "a rebuild gives the same rows");
    // Applying the log once more over the rows changes nothing either (idempotent, never backwards).
    let mut conn = app.state.db.read_models.acquire().await.unwrap();
    for event in app.state.db.events.read_all(0, 10_000, &projection.filter()).await.unwrap() {
        projection.apply(&mut conn, &event).await.unwrap();
    }
    drop(conn);
    assert_eq!(snapshot(&db).await, before, "replayed events change nothing");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_read_model_and_retry_work_on_sqlite_too() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(&format!("sqlite://{}", dir.path().join("lawha.db").display())).await;
    let operator = token(&app, "omar", Role::Admin, Scope::Admin).await;
    let job = probe(&app, 2).await;
    kill(&app, &job).await;
    wait_for_state(&app, job.id, "dead").await;
    let (_, page) = get(&app, &operator, "/api/v1/jobs?state=dead&kind=Probe").await;
    assert_eq!(ids(&page), [job.id.to_string()]);
    let (_, detail) = get(&app, &operator, &format!("/api/v1/jobs/{}", job.id)).await;
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 2, "{detail}");
    assert_eq!(detail["attempts"][1]["outcome"], "failed");
    let (status, body) = post(&app, &operator, &format!("/api/v1/jobs/{}/retry", job.id)).await;
    assert_eq!((status, body["attempt"].as_i64()), (StatusCode::ACCEPTED, Some(3)), "{body}");
    wait_for_state(&app, job.id, "retrying").await;
    app.stop().await.unwrap();
}
