//! Sessions and account security (issue 14, items 8 and Low): anonymous visitors create no session rows, the
//! table keeps only hashes of session ids, a password change ends the other sessions and its current-password
//! check is throttled, answers showing a secret are never stored, password checks beyond the bound get
//! `503 busy`, and two administrators demoting each other at once leave one administrator.

use crate::common;

use common::{Browser, TestApp, create_user, postgres, spawn_app};
use lawha_domain::users::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

async fn session_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&app.state.db.read_models).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_visitors_get_a_token_but_no_session_row() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    for _ in 0..20 {
        assert_eq!(app.get("/api/v1/session").await.status(), StatusCode::OK);
        let page = app.client.get(app.url("/login")).header(header::ACCEPT, "text/html").send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
    }
    assert_eq!(session_rows(&app).await, 0, "forty anonymous requests, no rows");

    // The anonymous cookie and its token still carry a sign-in, which is the first row.
    let mut browser = Browser::open(&app).await;
    assert_eq!(session_rows(&app).await, 0);
    browser.sign_in("amira", PASSWORD).await;
    assert_eq!(session_rows(&app).await, 1);
    let wrong = app
        .client
        .post(app.url("/login"))
        .header("cookie", "lawha_session=not-a-real-id")
        .form(&[("username", "amira"), ("password", PASSWORD), ("csrf", browser.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "a token belongs to its session id");
    let other = Browser::open(&app).await;
    let crossed = app
        .client
        .post(app.url("/login"))
        .header("cookie", &other.cookie)
        .form(&[("username", "amira"), ("password", PASSWORD), ("csrf", browser.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN, "another anonymous session's token does not fit");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessions_table_never_holds_a_usable_session_id() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let id = browser.cookie.split_once('=').unwrap().1.to_owned();
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sessions").fetch_all(&app.state.db.read_models).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&id) && stored[0].len() == 64, "{stored:?} holds a hash, not {id}");
    let copied = app.client.get(app.url("/api/v1/audit")).header("cookie", format!("lawha_session={}", stored[0]));
    assert_eq!(copied.send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "a stolen row is not a cookie");
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::OK);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_the_other_sessions_and_its_check_is_throttled() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let mut here = Browser::open(&app).await;
    here.sign_in("amira", PASSWORD).await;
    let mut elsewhere = Browser::open(&app).await;
    elsewhere.sign_in("amira", PASSWORD).await;

    let change = json!({"current_password": PASSWORD, "new_password": "another long password"});
    let response = here.send_json(Method::POST, "/api/v1/account/password", &change).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(elsewhere.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED, "the other session ended");
    assert_eq!(here.get("/api/v1/audit").await.status(), StatusCode::OK, "this one goes on");

    let guess = |password: &str| json!({"current_password": password, "new_password": "a third long password"});
    for _ in 0..5 {
        let wrong = here.send_json(Method::POST, "/api/v1/account/password", &guess("not the password")).await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    }
    let throttled = here.send_json(Method::POST, "/api/v1/account/password", &guess("another long password")).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "even the right one waits");
    let retry: u64 = throttled.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"]["code"], "locked_out", "{body}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_show_a_secret_once_are_never_stored() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Operator, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let no_store = |response: &reqwest::Response| {
        response.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) == Some("no-store")
    };

    let token =
        browser.send_json(Method::POST, "/api/v1/account/tokens", &json!({"name": "ci", "scopes": ["read"]})).await;
    assert_eq!(token.status(), StatusCode::CREATED);
    assert!(no_store(&token), "a new token (API)");
    let enrollment = browser.send_json(Method::POST, "/api/v1/account/two-factor/enroll", &json!({})).await;
    assert!(no_store(&enrollment), "a TOTP secret (API)");
    let secret = enrollment.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = lawha::users::two_factor::code_for(&secret, now).unwrap();
    let confirm = browser.send_json(Method::POST, "/api/v1/account/two-factor/confirm", &json!({"code": code})).await;
    assert_eq!(confirm.status(), StatusCode::OK);
    assert!(no_store(&confirm), "recovery codes (API)");

    let form = [("name", "page".to_owned()), ("scope", "read".to_owned()), ("csrf", browser.csrf.clone())];
    let page = app
        .client
        .post(app.url("/account/tokens"))
        .header("cookie", &browser.cookie)
        .header(header::ACCEPT, "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::CREATED);
    assert!(no_store(&page), "a new token (page)");
    let account = browser.page("/account").await;
    assert!(!no_store(&account), "ordinary pages may be cached as before");
    app.stop().await.unwrap();
}
