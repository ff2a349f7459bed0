//! Sign-in throttling (issue 14, items 5, 7 and 8): counted before the password is checked, per source (an IPv6
//! /64) and per account from that source, decaying, and recorded once per wait.
//!
//! Sources are named with `X-Real-IP`: the test client connects from 127.0.0.1, a trusted proxy by default.

use crate::common;

use common::{Browser, TestApp, create_user, postgres, spawn_app};
use lawha_domain::users::Role;
use lawha_store::EventFilter;
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "a long enough password";

/// `POST /login` through the browser's session, as a proxy forwarding for `from`.
async fn attempt(browser: &Browser<'_>, from: &str, user: &str, password: &str) -> reqwest::Response {
    let app = browser.app;
    app.client
        .post(app.url("/login"))
        .header("cookie", &browser.cookie)
        .header("x-real-ip", from)
        .form(&[("username", user), ("password", password), ("csrf", &browser.csrf)])
        .send()
        .await
        .expect("the sign-in request")
}

/// The sign-in events of the log.
async fn sign_in_events(app: &TestApp) -> Vec<lawha_domain::RecordedEvent> {
    app.state.db.events.read_all(0, 10_000, &EventFilter::categories(["sign_in"])).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_burst_checks_no_more_passwords_than_the_free_attempts() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let browser = Browser::open(&app).await;
    let burst = (0..20).map(|_| attempt(&browser, "203.0.113.5", "amira", "wrong password!"));
    let statuses: Vec<StatusCode> = futures::future::join_all(burst).await.iter().map(|r| r.status()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (5, 15), "{statuses:?}");
    let events = sign_in_events(&app).await;
    let wrong = events.iter().filter(|e| e.data["reason"] == "invalid_credentials").count();
    assert_eq!(wrong, 5, "five passwords were checked, not twenty");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_elsewhere_cannot_lock_the_account_out() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "admin", Role::Admin, PASSWORD).await;
    let guesser = Browser::open(&app).await;
    for _ in 0..5 {
        assert_eq!(
            attempt(&guesser, "203.0.113.5", "admin", "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = attempt(&guesser, "203.0.113.5", "admin", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "the guesser's source waits, even with the password");

    let owner = Browser::open(&app).await;
    let response = attempt(&owner, "198.51.100.7", "admin", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "the owner, elsewhere, signs in");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_of_one_ipv6_64_share_a_count_and_another_64_does_not() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let browser = Browser::open(&app).await;
    for host in 1..=5 {
        let from = format!("2001:db8:1:2::{host:x}");
        assert_eq!(attempt(&browser, &from, "amira", "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
    let neighbour = attempt(&browser, "2001:db8:1:2:ffff::1", "amira", "wrong password!").await;
    assert_eq!(neighbour.status(), StatusCode::TOO_MANY_REQUESTS, "a new address in the same /64 gains nothing");
    let mapped = attempt(&browser, "::ffff:192.0.2.50", "amira", PASSWORD).await;
    assert_eq!(mapped.status(), StatusCode::OK, "another network signs in");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_counts_decay_after_the_window() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let browser = Browser::open(&app).await;
    for _ in 0..5 {
        attempt(&browser, "203.0.113.5", "amira", "wrong password!").await;
    }
    assert_eq!(attempt(&browser, "203.0.113.5", "amira", "x").await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Sixteen minutes pass (the window is fifteen, and the 30 s wait is long over).
    sqlx::query("UPDATE sign_in_failures SET last_failure = last_failure - 960, locked_until = locked_until - 960")
        .execute(&app.state.db.read_models)
        .await
        .unwrap();
    for attempt_number in 1..=5 {
        let response = attempt(&browser, "203.0.113.5", "amira", "wrong password!").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {attempt_number} after the window");
    }
    assert_eq!(attempt(&browser, "203.0.113.5", "amira", "x").await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_refused_during_a_wait_are_counted_but_recorded_once() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let browser = Browser::open(&app).await;
    for _ in 0..5 {
        attempt(&browser, "203.0.113.5", "amira", "wrong password!").await;
    }
    for _ in 0..30 {
        let refused = attempt(&browser, "203.0.113.5", "amira", PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
    }
    let events = sign_in_events(&app).await;
    let locked: Vec<&Value> = events.iter().filter(|e| e.data["reason"] == "locked_out").map(|e| &e.data).collect();
    assert_eq!(locked.len(), 1, "one event for the wait, not thirty: {locked:?}");
    assert_eq!(locked[0]["refusals"], 1);
    let refused: i64 = sqlx::query_scalar("SELECT refused FROM sign_in_failures WHERE subject LIKE 'account:%'")
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap();
    assert_eq!(refused, 30, "every refusal is still counted");
    app.stop().await.unwrap();
}
