//! The admin requests for work against real PostgreSQL: each appends one request event and answers 202 with its
//! id, which the jobs list then shows as a queued job; operators are refused, bad input is 422 or 404, bodies
//! that are not JSON or too large get the usual error shape.

use crate::common;

use common::{jobs::wait_for_state, postgres, spawn_app, spawn_with, token};
use lawha_domain::{
    StreamId,
    users::{Role, Scope},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn post(app: &common::TestApp, token: &str, path: &str, body: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

/// The last event of `stream`.
async fn last_event(app: &common::TestApp, stream: &str) -> lawha_domain::RecordedEvent {
    let stream = StreamId::parse(stream).unwrap();
    app.state.db.events.read_stream(&stream, 0, i64::MAX).await.unwrap().pop().expect("an event in the stream")
}

fn job_id(body: &Value) -> Uuid {
    body["job_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()).unwrap_or_else(|| panic!("no job_id in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_answer_202_with_the_id_of_the_event_they_appended() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let admin = token(&app, "amira", Role::Admin, Scope::Admin).await;

    let (status, body) = post(&app, &admin, "/api/v1/admin/audit-verify", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let event = last_event(&app, "audit_chain-main").await;
    assert_eq!((event.event_id, event.event_type.as_str()), (job_id(&body), "AuditChainVerifyRequested"));
    assert_eq!(event.data, json!({}));
    assert_eq!(event.metadata.actor.as_deref(), Some("token:amira/tests"));

    let (status, body) = post(&app, &admin, "/api/v1/admin/projections/audit_log/rebuild", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let event = last_event(&app, "projection-audit_log").await;
    assert_eq!((event.event_id, event.event_type.as_str()), (job_id(&body), "ProjectionRebuildRequested"));
    assert_eq!(event.data, json!({"projection": "audit_log"}));

    let (status, body) = post(&app, &admin, "/api/v1/admin/probe", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "an empty body is a plain probe: {body}");
    let (status, body) = post(&app, &admin, "/api/v1/admin/probe", Some("null")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "so is null: {body}");
    let plain = job_id(&body);
    let asked = r#"{"sleep_ms": 20, "outcome": "fail", "limits": {"max_attempts": 5, "backoff_ms": 50}}"#;
    let (status, body) = post(&app, &admin, "/api/v1/admin/probe", Some(asked)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let probe = job_id(&body);
    let found = app.state.db.events.read_all(0, 1000, &lawha_store::EventFilter::types(["ProbeRequested"])).await;
    let found = found.unwrap();
    let event = found.iter().find(|e| e.event_id == probe).expect("the probe request is in the log");
    assert!(event.stream.as_str().starts_with("probe-"), "{}", event.stream);
    assert_eq!(event.data, serde_json::from_str::<Value>(asked).unwrap());
    assert_ne!(found.iter().find(|e| e.event_id == plain).unwrap().stream, event.stream, "a stream per probe");

    wait_for_state(&app, probe, "queued").await;
    let list: Value = app
        .client
        .get(app.url("/api/v1/jobs?kind=Probe"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = list["items"].as_array().unwrap().iter().find(|j| j["job_id"] == probe.to_string()).cloned().unwrap();
    assert_eq!((row["state"].as_str(), row["max_attempts"].as_i64()), (Some("queued"), Some(5)), "{row}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_refuse_operators_unknown_projections_and_bad_probes() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let admin = token(&app, "amira", Role::Admin, Scope::Admin).await;
    let operator = token(&app, "omar", Role::Operator, Scope::Operate).await;
    let head = app.state.db.events.head().await.unwrap();

    for path in ["/api/v1/admin/audit-verify", "/api/v1/admin/projections/jobs/rebuild", "/api/v1/admin/probe"] {
        let (status, body) = post(&app, &operator, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let (status, body) = post(&app, &admin, "/api/v1/admin/projections/nope/rebuild", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["details"]["known"],
        json!(["audit_log", "users", "jobs", "backups", "deployments", "hosts", "certificates"]),
        "{body}"
    );

    let refused = [
        (r#"{"outcome": "explode"}"#, "$.outcome", "unknown variant `explode`"),
        (r#"{"sleep_ms": -5}"#, "$.sleep_ms", "invalid value"),
        (r#"{"sleep_ms": 600001}"#, "", "sleep_ms must be a whole number from 0 to 600000"),
        (r#"{"limits": {"max_attempts": 0}}"#, "", "limits.max_attempts must be a whole number from 1 to 10"),
        (r#"{"limits": {"timeout_ms": 999999999}}"#, "", "limits.timeout_ms must be a whole number from 10 to 600000"),
        (r#"{"limits": {"retries": 2}}"#, "$.limits", "unknown field `retries`"),
        (r#"{"limits": [5]}"#, "$.limits", "expected a map"),
        (r#"{"colour": "red"}"#, "$.colour", "unknown field `colour`"),
        (r#"[1, 2]"#, "$", "expected a JSON object, got an array"),
        (r#"{"limits": 5}"#, "$.limits", "expected a map"),
    ];
    for (body, path, message) in refused {
        let (status, answer) = post(&app, &admin, "/api/v1/admin/probe", Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_input");
        assert!(answer["error"]["message"].as_str().unwrap().contains(message), "{body}: {answer}");
        if !path.is_empty() {
            assert_eq!(answer["error"]["details"]["path"], path, "{body}: {answer}");
        }
    }
    let (status, answer) = post(&app, &admin, "/api/v1/admin/probe", Some("{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_json");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing refused was appended");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_body_over_the_limit_is_413_in_the_error_shape() {
    let db = postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.http.body_limit_bytes = 1024;
    let app = spawn_with(config, dir, axum::Router::new()).await;
    let admin = token(&app, "amira", Role::Admin, Scope::Admin).await;
    let big = format!(r#"{{"outcome": "succeed", "pad": "{}"}}"#, "x".repeat(4096));
    let (status, body) = post(&app, &admin, "/api/v1/admin/probe", Some(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");
    app.stop().await.unwrap();
}
