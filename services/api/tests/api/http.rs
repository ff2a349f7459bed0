//! The HTTP surface against real PostgreSQL and SQLite: health, readiness across a database outage, metrics,
//! the error shape, request ids, limits, and graceful shutdown.

use crate::common;

use std::time::Duration;

use axum::{Router, routing::get};
use common::{Proxy, eventually, postgres, spawn_app, spawn_with, via_proxy};
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "unexpected body {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "no message in {body}");
    assert!(body["error"]["details"].is_object(), "no details object in {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_and_ready_answer_200_on_a_migrated_postgres_database() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    // The queue (here the SQLite file) is reported once the pipeline has looked at it.
    eventually(Duration::from_secs(10), "readiness to report the queue", || async {
        let body: Value = app.get("/health/ready").await.json().await.unwrap();
        body["checks"]["queue"]["status"] == "ok"
    })
    .await;
    let body: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ready", "checks": {
            "database": {"status": "ok"}, "migrations": {"status": "ok"}, "queue": {"status": "ok"}
        }})
    );
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_200_on_the_embedded_sqlite_default() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lawha.db").display());
    let app = spawn_app(&url).await;
    assert_eq!(app.get("/health/ready").await.status(), StatusCode::OK);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_turns_503_while_postgres_is_unreachable_and_200_when_it_returns() {
    let db = postgres().await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = spawn_app(&via_proxy(&db.url, proxy.addr)).await;
    assert_eq!(app.get("/health/ready").await.status(), StatusCode::OK);

    proxy.cut().await;
    eventually(Duration::from_secs(15), "/health/ready to answer 503", || async {
        app.get("/health/ready").await.status() == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    let body: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_error_shape(&body, "not_ready");
    assert_eq!(body["error"]["details"]["checks"]["database"]["status"], "failing", "{body}");
    assert_eq!(body["error"]["details"]["checks"]["migrations"]["status"], "failing", "{body}");
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK, "liveness must not depend on the database");

    proxy.restore();
    eventually(Duration::from_secs(15), "/health/ready to answer 200 again", || async {
        app.get("/health/ready").await.status() == StatusCode::OK
    })
    .await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_names_the_migrations_check_when_the_schema_is_behind() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 2").execute(db.db.pg_pool().unwrap()).await.unwrap();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"]["checks"]["database"]["status"], "ok", "{body}");
    assert_eq!(body["error"]["details"]["checks"]["migrations"]["status"], "failing", "{body}");
    assert!(body["error"]["details"]["checks"]["migrations"]["error"].as_str().unwrap().contains("lawha migrate"));
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_in_the_error_shape() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_error_shape(&response.json().await.unwrap(), "not_found");

    let response = app.client.post(app.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().get("allow").is_some(), "405 keeps its Allow header");
    assert_error_shape(&response.json().await.unwrap(), "method_not_allowed");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_when_valid_and_generated_otherwise() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let echoed = app.client.get(app.url("/health/live")).header("x-request-id", "req-42.a").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "req-42.a");
    let replaced =
        app.client.get(app.url("/health/live")).header("x-request-id", "bad id\twith junk").send().await.unwrap();
    let id = replaced.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "an invalid id is replaced by a UUID, got {id}");
    let fresh = app.get("/health/live").await;
    assert!(uuid::Uuid::parse_str(fresh.headers()["x-request-id"].to_str().unwrap()).is_ok());
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_requests_durations_appends_projection_lag_and_build_info() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let stream = StreamId::parse("probe-1").unwrap();
    let event = NewEvent::new("ProbeRecorded", json!({"n": 1}), Metadata::default());
    app.state.db.events.append(&stream, ExpectedVersion::Exact(0), vec![event]).await.unwrap();
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    let series = [
        r#"lawha_http_requests_total{route="/health/live",method="GET",status="200"}"#,
        r#"lawha_http_request_duration_seconds_bucket{route="/health/live",method="GET",le="0.005"}"#,
        "lawha_events_appended_total",
        r#"lawha_projection_lag{projection="audit_log"}"#,
        r#"lawha_build_info{version=""#,
    ];
    // The projection runner reports its lag after its next batch, so wait for it rather than race it.
    eventually(Duration::from_secs(10), "every expected series in /health/metrics", || async {
        let text = app.get("/health/metrics").await.text().await.unwrap();
        series.iter().all(|s| text.contains(s))
    })
    .await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_slow_requests_are_refused_in_the_error_shape() {
    let db = postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.http.body_limit_bytes = 1024;
    config.http.request_timeout_secs = 1;
    let routes = Router::new()
        .route("/test/echo", axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }))
        .route("/test/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }));
    let app = spawn_with(config, dir, routes).await;

    let small = app.client.post(app.url("/test/echo")).body(vec![b'x'; 1000]).send().await.unwrap();
    assert_eq!(small.status(), StatusCode::OK);
    let big = app.client.post(app.url("/test/echo")).body(vec![b'x'; 4096]).send().await.unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_error_shape(&big.json().await.unwrap(), "payload_too_large");

    let slow = app.get("/test/slow").await;
    assert_eq!(slow.status(), StatusCode::REQUEST_TIMEOUT);
    assert_error_shape(&slow.json().await.unwrap(), "request_timeout");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_requests_then_stops_accepting() {
    let db = postgres().await;
    let (config, dir) = common::config(&db.url);
    let routes = Router::new().route(
        "/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "finished"
        }),
    );
    let mut app = spawn_with(config, dir, routes).await;
    let in_flight = tokio::spawn(app.client.get(app.url("/test/slow")).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = app.signal_stop();

    let response = in_flight.await.unwrap().expect("the in-flight request was cut off");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "finished");
    tokio::time::timeout(Duration::from_secs(10), stopped).await.expect("shutdown hung").unwrap().unwrap();
    let after = reqwest::Client::new().get(app.url("/health/live")).send().await;
    assert!(after.is_err(), "the listener still accepts after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_are_on_every_response_and_hsts_only_in_production() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    for path in ["/health/live", "/no/such/page"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["content-security-policy"], lawha::http::headers::CSP, "{path}");
        assert!(!lawha::http::headers::CSP.contains("unsafe-inline"));
        assert!(lawha::http::headers::CSP.contains("frame-ancestors 'none'"));
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "no HSTS outside production ({path})");
    }
    app.stop().await.unwrap();

    let (mut config, dir) = common::config(&db.url);
    config.profile = lawha_config::Profile::Production;
    let app = spawn_with(config, dir, Router::new()).await;
    let response = app.get("/health/live").await;
    assert_eq!(response.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
    app.stop().await.unwrap();
}
