//! Request context into event metadata, and the audit_log projection built from it.

use crate::common;

use std::time::Duration;

use axum::{Extension, Json, Router, extract::State, routing::post};
use common::{eventually, postgres, spawn_with};
use lawha::{
    audit::projection::AuditLog,
    http::{
        context::{Actor, RequestContext},
        error::ApiError,
    },
    state::AppState,
};
use lawha_domain::{ExpectedVersion, NewEvent, StreamId};
use lawha_store::EventFilter;
use serde_json::{Value, json};
use sqlx::Row as _;

/// A handler shaped like every command handler: context in, one append, result out.
async fn append_note(State(state): State<AppState>, context: RequestContext) -> Result<Json<Value>, ApiError> {
    let stream = StreamId::parse(format!("note-{}", uuid::Uuid::now_v7())).unwrap();
    let event = NewEvent::new("NoteRecorded", json!({"text": "hello"}), context.metadata());
    let appended = state.db.events.append(&stream, ExpectedVersion::Exact(0), vec![event]).await?;
    Ok(Json(json!({ "position": appended.first_position })))
}

async fn audit_rows(
    state: &AppState,
) -> Vec<(i64, Option<String>, Option<String>, String, String, String, Option<String>)> {
    sqlx::query(
        "SELECT position, actor, ip, event_type, stream_id, summary, request_id FROM audit_log ORDER BY position",
    )
    .fetch_all(&state.db.read_models)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_actor_and_client_ip_flow_into_event_metadata_and_the_audit_log() {
    let db = postgres().await;
    let (config, dir) = common::config(&db.url);
    let routes = Router::new().route("/test/notes", post(append_note)).layer(Extension(Actor("user:amira".into())));
    let app = spawn_with(config, dir, routes).await;

    // A state-changing request from a browser carries its session's CSRF token.
    let session = app.get("/api/v1/session").await;
    let cookie = session.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = session.json::<Value>().await.unwrap()["csrf"].as_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.url("/test/notes"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .header("x-request-id", "req-audit-1")
        .header("x-forwarded-for", "198.51.100.23")
        .header("user-agent", "lawha-test/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let position = response.json::<Value>().await.unwrap()["position"].as_i64().unwrap();

    let event = app.state.db.events.read_all(position - 1, 1, &EventFilter::all()).await.unwrap().remove(0);
    assert_eq!(event.metadata.request_id.as_deref(), Some("req-audit-1"));
    assert_eq!(event.metadata.actor.as_deref(), Some("user:amira"));
    // The test client is on loopback, which the panel treats as its local reverse proxy.
    assert_eq!(event.metadata.ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(event.metadata.user_agent.as_deref(), Some("lawha-test/1.0"));

    eventually(Duration::from_secs(10), "the audit_log row of the note", || async {
        audit_rows(&app.state).await.iter().any(|r| r.0 == position)
    })
    .await;
    let row = audit_rows(&app.state).await.into_iter().find(|r| r.0 == position).unwrap();
    assert_eq!(row.1.as_deref(), Some("user:amira"));
    assert_eq!(row.2.as_deref(), Some("198.51.100.23"));
    assert_eq!(row.3, "NoteRecorded");
    assert!(row.4.starts_with("note-"));
    assert_eq!(row.5, "Note recorded (text=hello)");
    assert_eq!(row.6.as_deref(), Some("req-audit-1"));
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuilt_audit_log_is_identical_to_the_live_one() {
    let db = postgres().await;
    let (config, dir) = common::config(&db.url);
    let app = spawn_with(config, dir, Router::new()).await;
    for i in 0..120 {
        let stream = StreamId::parse(format!("note-{}", i % 7)).unwrap();
        let metadata = lawha_domain::Metadata { actor: Some(format!("user:{}", i % 3)), ..Default::default() };
        let event = NewEvent::new("NoteRecorded", json!({"n": i}), metadata);
        app.state.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
    eventually(Duration::from_secs(15), "the live audit_log to reach 120 rows", || async {
        audit_rows(&app.state).await.len() == 120
    })
    .await;
    let live = audit_rows(&app.state).await;

    let runner = lawha::app::projection_runner(&app.state.config, &app.state.db);
    let replayed = runner.rebuild(&AuditLog).await.unwrap();
    assert_eq!(replayed, 120);
    assert_eq!(audit_rows(&app.state).await, live);
    app.stop().await.unwrap();
}
