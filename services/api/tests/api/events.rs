//! Live updates: the SSE stream delivers each new event as an audit row, to signed-in viewers only.

use crate::common;

use std::time::Duration;

use common::{postgres, spawn_app};
use lawha::users;
use lawha_domain::{
    ExpectedVersion, Metadata, NewEvent, StreamId,
    users::{Role, Scope},
};
use serde_json::{Value, json};

/// A read token of a viewer, once the users projection knows it.
async fn viewer_token(app: &common::TestApp) -> String {
    let meta = Metadata::default();
    users::create_user(&app.state.db, "watcher", Role::Viewer, "a long enough password", &meta).await.unwrap();
    let token = users::create_token(&app.state.db, "watcher", "ui", vec![Scope::Read], &meta).await.unwrap().token;
    common::eventually(Duration::from_secs(15), "the token to authenticate", || async {
        app.client.get(app.url("/health/live")).bearer_auth(&token).send().await.unwrap().status() == 200
    })
    .await;
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_pushes_each_new_event_as_an_audit_row() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let meta = Metadata::default();
    let token = viewer_token(&app).await;
    assert_eq!(app.get("/api/v1/events/stream").await.status(), 401, "anonymous callers get nothing");

    let mut response = app.client.get(app.url("/api/v1/events/stream")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let stream = StreamId::parse("note-live").unwrap();
    let event =
        NewEvent::new("NoteRecorded", json!({"text": "live"}), Metadata { actor: Some("user:x".into()), ..meta });
    let appended = app.state.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();

    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("NoteRecorded") {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no event arrived on the stream; got {text:?}");
    let data = text.lines().find(|l| l.starts_with("data:") && l.contains("NoteRecorded")).unwrap();
    let row: Value = serde_json::from_str(data.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(row["position"], appended.first_position);
    assert_eq!(row["actor"], "user:x");
    assert_eq!(row["summary"], "Note recorded (text=live)");
    assert!(
        text.contains(&format!("id: {}", appended.first_position))
            || text.contains(&format!("id:{}", appended.first_position)),
        "{text}"
    );
    drop(response);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_with_after_replays_what_the_page_missed() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let meta = Metadata::default();
    let token = viewer_token(&app).await;
    // The page was rendered at `seen`; one event came before its stream opened.
    let seen = app.state.db.events.head().await.unwrap();
    let stream = StreamId::parse("note-missed").unwrap();
    let event = NewEvent::new("NoteMissed", json!({"text": "between"}), meta.clone());
    let appended = app.state.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();

    let bad = app.client.get(app.url("/api/v1/events/stream?after=x")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let url = app.url(&format!("/api/v1/events/stream?after={seen}"));
    let mut response = app.client.get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("NoteMissed") {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "the missed event was not replayed; got {text:?}");
    assert!(text.contains(&format!("\"position\":{}", appended.first_position)), "{text}");
    drop(response);
    app.stop().await.unwrap();
}
