//! Sign-in over sessions: cookie flags, a new session id at sign-in, CSRF, throttling and lockout with audit
//! events, sign-out everywhere.

use crate::common;

use common::{Browser, TestApp, postgres, spawn_app, spawn_with};
use lawha::users;
use lawha_domain::{Metadata, users::Role};
use lawha_store::EventFilter;
use reqwest::StatusCode;
use serde_json::Value;

const PASSWORD: &str = "a long enough password";

async fn with_user(app: &TestApp) {
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    common::eventually(std::time::Duration::from_secs(15), "the users projection", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&app.state.db.read_models).await.unwrap()
            == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_starts_a_new_session_with_strict_http_only_cookies() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    with_user(&app).await;
    let mut browser = Browser::open(&app).await;
    assert!(
        browser.set_cookie.contains("HttpOnly") && browser.set_cookie.contains("SameSite=Strict"),
        "{}",
        browser.set_cookie
    );
    assert!(!browser.set_cookie.contains("Secure"), "no Secure flag outside production: {}", browser.set_cookie);
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED);

    let before = browser.cookie.clone();
    let csrf = browser.csrf.clone();
    let response = browser.login("amira", PASSWORD, Some(&csrf)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(browser.cookie, before, "the session id changes at sign-in");
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::OK);
    let old = app.client.get(app.url("/api/v1/audit")).header("cookie", &before).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the pre-sign-in id is worthless");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changing_requests_without_the_csrf_token_are_refused() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    with_user(&app).await;
    let mut browser = Browser::open(&app).await;
    for csrf in [None, Some("not-the-token")] {
        let response = browser.login("amira", PASSWORD, csrf).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{csrf:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "csrf_failed");
    }
    let without_session =
        app.client.post(app.url("/login")).form(&[("username", "amira"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(without_session.status(), StatusCode::FORBIDDEN, "sign-in always needs the token (login CSRF)");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_the_account_and_every_failure_is_audited_with_the_ip() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    with_user(&app).await;
    let mut browser = Browser::open(&app).await;
    let csrf = browser.csrf.clone();
    for attempt in 1..=5 {
        let response = browser.login("amira", "wrong password!", Some(&csrf)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = browser.login("amira", PASSWORD, Some(&csrf)).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits out the lockout");
    let retry: i64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");

    let events = app.state.db.events.read_all(0, 1000, &EventFilter::categories(["sign_in"])).await.unwrap();
    let count = |t: &str| events.iter().filter(|e| e.event_type == t).count();
    assert_eq!(count("SignInFailed"), 6, "five wrong passwords and one refused during the lockout");
    assert_eq!(count("SignInLockedOut"), 1);
    assert!(events.iter().all(|e| e.metadata.ip.as_deref() == Some("127.0.0.1")), "every event names the IP");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_ends_every_session_of_the_user() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    with_user(&app).await;
    let mut first = Browser::open(&app).await;
    let mut second = Browser::open(&app).await;
    let (c1, c2) = (first.csrf.clone(), second.csrf.clone());
    assert_eq!(first.login("amira", PASSWORD, Some(&c1)).await.status(), StatusCode::OK);
    let body: Value = second.login("amira", PASSWORD, Some(&c2)).await.json().await.unwrap();
    let csrf = body["csrf"].as_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.url("/api/v1/session/sign-out-everywhere"))
        .header("cookie", &second.cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["sessions_ended"], 2);
    assert_eq!(first.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(second.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookies_are_secure_in_production() {
    let db = postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.profile = lawha_config::Profile::Production;
    let app = spawn_with(config, dir, axum::Router::new()).await;
    let browser = Browser::open(&app).await;
    assert!(browser.set_cookie.contains("Secure"), "{}", browser.set_cookie);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_timeouts_end_sessions() {
    let db = postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.session = lawha_config::SessionConfig { idle_timeout_secs: 90, absolute_timeout_secs: 120 };
    let app = spawn_with(config, dir, axum::Router::new()).await;
    with_user(&app).await;
    let mut browser = Browser::open(&app).await;
    assert!(browser.set_cookie.contains("Max-Age=90"), "the idle timeout: {}", browser.set_cookie);
    let csrf = browser.csrf.clone();
    assert_eq!(browser.login("amira", PASSWORD, Some(&csrf)).await.status(), StatusCode::OK);
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::OK);

    // Move the sign-in time back: within the absolute timeout the session lives, past it the session ends
    // (the default of 12 hours would have kept it).
    let signed_in_ago = |secs: i64| {
        let pool = app.state.db.read_models.clone();
        async move {
            let data: String = sqlx::query_scalar("SELECT data FROM sessions WHERE user_name = 'amira'")
                .fetch_one(&pool)
                .await
                .unwrap();
            let mut data: Value = serde_json::from_str(&data).unwrap();
            data["signed_in_at"] = (chrono::Utc::now().timestamp() - secs).into();
            sqlx::query("UPDATE sessions SET data = $1 WHERE user_name = 'amira'")
                .bind(data.to_string())
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    signed_in_ago(100).await;
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::OK);
    signed_in_ago(130).await;
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED);
    app.stop().await.unwrap();
}
