//! Live event streams are authorised for as long as they live, not once: a revoked token's stream and a
//! signed-out session's stream end; streams are capped per principal and in all; one poller reads a job's log
//! for every stream following it; and a stopping panel ends its streams at once instead of waiting out the grace
//! period for them.

use crate::common;

use std::time::{Duration, Instant};

use common::{Browser, TestApp};
use lawha_domain::{
    Message, Metadata,
    users::{Role, Scope},
};
use lawha_jobs::joblog::JobLog;
use reqwest::StatusCode;
use uuid::Uuid;

const PASSWORD: &str = "a long enough password";

/// Reads `response` until it ends; None when it is still open after `limit`. Returns what it carried.
async fn until_ended(mut response: reqwest::Response, limit: Duration) -> Option<String> {
    let mut text = String::new();
    let ended = tokio::time::timeout(limit, async {
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    ended.ok().map(|()| text)
}

async fn open(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tokens_stream_ends() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let token = common::token(&app, "amira", Role::Admin, Scope::Read).await;
    let id = Uuid::parse_str(token.split('_').nth(1).unwrap()).unwrap();
    let stream = open(&app, &token, "/api/v1/events/stream").await;
    assert_eq!(stream.status(), StatusCode::OK);
    lawha::users::commands::revoke_token(&app.state.db, "amira", id, &Metadata::default()).await.unwrap();
    let started = Instant::now();
    assert!(until_ended(stream, Duration::from_secs(10)).await.is_some(), "the revoked token's stream is still open");
    println!("the revoked token's stream ended {:?} after the revocation", started.elapsed());
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_sessions_stream_ends() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    common::create_user(&app, "amira", Role::Admin, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let stream = browser.get("/api/v1/events/stream").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let csrf = browser.csrf.clone();
    let out = browser.post_form("/logout", &[("csrf", csrf)]).await;
    assert!(out.status().is_success() || out.status().is_redirection(), "{}", out.status());
    assert!(until_ended(stream, Duration::from_secs(10)).await.is_some(), "the signed-out session's stream is open");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_capped_per_principal_and_in_all() {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.http.max_streams_per_principal = 2;
    config.http.max_streams = 3;
    let app = common::spawn_with(config, dir, axum::Router::new()).await;
    let amira = common::token(&app, "amira", Role::Viewer, Scope::Read).await;
    let bilal = common::token(&app, "bilal", Role::Viewer, Scope::Read).await;
    let path = "/api/v1/events/stream";
    let first = open(&app, &amira, path).await;
    let _second = open(&app, &amira, path).await;
    let third = open(&app, &amira, path).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = third.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
    let _bilals = open(&app, &bilal, path).await;
    let full = open(&app, &bilal, path).await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(full.headers().contains_key("retry-after"));
    let body: serde_json::Value = full.json().await.unwrap();
    assert_eq!(body["error"]["code"], "streams_exhausted", "{body}");
    // A closed stream gives its place back.
    drop(first);
    common::eventually(Duration::from_secs(10), "a place to come back", || async {
        open(&app, &bilal, path).await.status() == StatusCode::OK
    })
    .await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poller_reads_a_job_log_for_every_stream_following_it() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let token = common::token(&app, "amira", Role::Viewer, Scope::Read).await;
    let job = Uuid::now_v7();
    let log = JobLog::new(app.state.db.read_models.clone());
    log.write(job, 1, &Message::text("before")).await.unwrap();
    let mut streams = Vec::new();
    for _ in 0..4 {
        let response = open(&app, &token, &format!("/api/v1/events/stream?job={job}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        streams.push(response);
    }
    assert_eq!(app.state.streams.job_logs.pollers(), 1, "four streams of one job share one poller");
    log.write(job, 1, &Message::text("after")).await.unwrap();
    for mut response in streams {
        let mut text = String::new();
        let got = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = response.chunk().await.unwrap() {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.contains("\"after\"") {
                    return;
                }
            }
        })
        .await;
        assert!(got.is_ok(), "a follower missed lines: {text}");
        assert!(text.contains("\"before\""), "the backlog is sent first: {text}");
    }
    common::eventually(Duration::from_secs(10), "the poller to stop with its last follower", || async {
        app.state.streams.job_logs.pollers() == 0
    })
    .await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_panel_ends_open_streams_at_once() {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.http.shutdown_grace_secs = 30;
    let mut app = common::spawn_with(config, dir, axum::Router::new()).await;
    let token = common::token(&app, "amira", Role::Viewer, Scope::Read).await;
    let stream = open(&app, &token, "/api/v1/events/stream").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let reading = tokio::spawn(until_ended(stream, Duration::from_secs(60)));
    let started = Instant::now();
    let stopped = app.signal_stop();
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("an open stream held the stop for the grace period")
        .unwrap()
        .unwrap();
    println!("stopped {:?} after the signal with a stream open", started.elapsed());
    assert!(reading.await.unwrap().is_some(), "the stream was not ended");
}
