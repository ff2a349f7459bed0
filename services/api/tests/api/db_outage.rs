//! A PostgreSQL outage (a TCP proxy in front of the suite's server, cut by the test; the server itself is never
//! stopped): requests get `503 database_unavailable` with `Retry-After` within a bounded wait, not `500 internal`
//! after the pool's timeouts; readiness answers within its own budget and keeps the driver's text to the log.

use crate::common;

use std::time::{Duration, Instant};

use common::{Proxy, eventually, via_proxy};
use lawha_domain::users::{Role, Scope};
use reqwest::StatusCode;
use serde_json::Value;

/// A client that gives up after 10 s: an answer slower than that is the old behaviour.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_while_the_database_is_unreachable_get_503_database_unavailable_at_once() {
    let db = common::postgres().await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = common::spawn_app(&via_proxy(&db.url, proxy.addr)).await;
    let token = common::token(&app, "amira", Role::Admin, Scope::Read).await;
    let client = impatient();
    let jobs = || client.get(app.url("/api/v1/jobs?limit=1")).bearer_auth(&token).send();
    assert_eq!(jobs().await.unwrap().status(), StatusCode::OK);

    proxy.cut().await;
    // The first request after the cut is in flight when the probe notices; it too must be answered in time.
    let first = jobs().await.expect("the first request during the outage was not answered within 10 s");
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE, "{:?}", first.text().await);
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let response = jobs().await.expect("a request during the outage was not answered within 10 s");
        slowest = slowest.max(started.elapsed());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
        assert_eq!(body["error"]["details"]["retry_after_secs"], 3, "{body}");
    }
    println!("slowest answer while the database was away: {slowest:?}");
    let page = client.get(app.url("/login")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE, "pages get the same answer");
    assert_eq!(client.get(app.url("/health/live")).send().await.unwrap().status(), StatusCode::OK);

    proxy.restore();
    eventually(Duration::from_secs(15), "requests to succeed again", || async {
        jobs().await.is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_during_an_outage_answers_quickly_and_keeps_the_drivers_text_to_the_log() {
    let db = common::postgres().await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = common::spawn_app(&via_proxy(&db.url, proxy.addr)).await;
    let client = impatient();
    proxy.cut().await;
    eventually(Duration::from_secs(15), "/health/ready to answer 503", || async {
        client.get(app.url("/health/ready")).send().await.is_ok_and(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    for _ in 0..3 {
        let started = Instant::now();
        let response = client.get(app.url("/health/ready")).send().await.expect("readiness answered within 10 s");
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: Value = response.json().await.unwrap();
        let database = &body["error"]["details"]["checks"]["database"];
        assert_eq!(database["status"], "failing", "{body}");
        assert_eq!(database["error"], "unreachable", "the driver's text is not for anonymous callers: {body}");
        assert!(database.get("detail").is_none(), "{body}");
        let text = body.to_string();
        for leak in ["os error", "at line", "127.0.0.1", "pool timed out", "error communicating"] {
            assert!(!text.contains(leak), "readiness shows {leak:?} to anyone: {text}");
        }
        println!("readiness answered in {took:?} during the outage");
    }
    proxy.restore();
    eventually(Duration::from_secs(15), "/health/ready to answer 200 again", || async {
        client.get(app.url("/health/ready")).send().await.is_ok_and(|r| r.status() == StatusCode::OK)
    })
    .await;
    app.stop().await.unwrap();
}
