//! Two-factor sign-in through the real app: enroll with a code, sign in with the password then a code, no replay,
//! single-use recovery codes, disable with password + code, and the pages of each step.

use crate::common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{Browser, TestApp, create_user, postgres, spawn_app};
use lawha::users::two_factor::code_for;
use lawha_domain::users::Role;
use lawha_store::EventFilter;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Enrolls `browser`'s user; returns the base32 secret, the recovery codes and the code that confirmed.
async fn enroll(browser: &mut Browser<'_>) -> (String, Vec<String>, String) {
    let response = browser.send_json(Method::POST, "/api/v1/account/two-factor/enroll", &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let enrollment: Value = response.json().await.unwrap();
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    assert!(enrollment["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/Lawha:"), "{enrollment}");
    assert!(enrollment["qr_svg"].as_str().unwrap().contains("<svg"), "the QR code is an SVG");

    let wrong = browser.send_json(Method::POST, "/api/v1/account/two-factor/confirm", &json!({"code": "000000"})).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = code_for(&secret, now()).unwrap();
    let response =
        browser.send_json(Method::POST, "/api/v1/account/two-factor/confirm", &json!({"code": code.clone()})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let codes: Vec<String> =
        body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, code)
}

async fn password_step(app: &TestApp) -> Browser<'_> {
    let mut browser = Browser::open(app).await;
    let csrf = browser.csrf.clone();
    let response = browser.login("amira", PASSWORD, Some(&csrf)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["second_factor_required"], true, "{body}");
    assert_eq!(body["user"], Value::Null);
    browser.csrf = body["csrf"].as_str().unwrap().to_owned();
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::UNAUTHORIZED, "not signed in yet");
    browser
}

async fn code_step(browser: &mut Browser<'_>, code: &str) -> reqwest::Response {
    let csrf = browser.csrf.clone();
    browser.post_form("/login/second-factor", &[("code", code.to_owned()), ("csrf", csrf)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_sign_in_needs_a_fresh_code_or_an_unused_recovery_code() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Operator, PASSWORD).await;
    let mut first = Browser::open(&app).await;
    first.sign_in("amira", PASSWORD).await;
    let (secret, codes, used) = enroll(&mut first).await;
    let again = first.send_json(Method::POST, "/api/v1/account/two-factor/enroll", &json!({})).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "enrolling twice");
    common::eventually(std::time::Duration::from_secs(10), "the read model to show two-factor on", || async {
        first.get("/api/v1/account").await.json::<Value>().await.unwrap()["two_factor"] == true
    })
    .await;

    // Password, then a wrong code, then a code already used (the confirmation used this time step).
    let mut browser = password_step(&app).await;
    assert_eq!(code_step(&mut browser, "123456").await.status(), StatusCode::UNAUTHORIZED);
    let replay = code_step(&mut browser, &used).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "a code is accepted once (RFC 6238 §5.2)");

    // A recovery code works once.
    let ok = code_step(&mut browser, &codes[0].to_uppercase()).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.unwrap()["user"], "amira");
    assert_eq!(browser.get("/api/v1/audit").await.status(), StatusCode::OK);
    let mut other = password_step(&app).await;
    assert_eq!(code_step(&mut other, &codes[0]).await.status(), StatusCode::UNAUTHORIZED, "spent");
    let account: Value = browser.get("/api/v1/account").await.json().await.unwrap();
    common::eventually(std::time::Duration::from_secs(10), "the recovery count", || async {
        browser.get("/api/v1/account").await.json::<Value>().await.unwrap()["recovery_codes_left"] == 9
    })
    .await;
    assert_eq!(account["two_factor"], true);

    // Without the password step, a code alone signs nobody in.
    let mut stranger = Browser::open(&app).await;
    assert_eq!(code_step(&mut stranger, &codes[1]).await.status(), StatusCode::UNAUTHORIZED);

    // Every step is in the log, and no secret is.
    let events = app.state.db.events.read_all(0, 10_000, &EventFilter::default()).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    for kind in ["TwoFactorEnabled", "RecoveryCodeUsed", "SignedIn", "SignInFailed"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let log = serde_json::to_string(&events.iter().map(|e| &e.data).collect::<Vec<_>>()).unwrap();
    assert!(!log.contains(&secret) && !log.contains(&codes[1]), "no secret in the log");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_needs_the_password_and_a_code_and_tokens_cannot_touch_account_security() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Admin, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let (_, codes, _) = enroll(&mut browser).await;
    common::eventually(std::time::Duration::from_secs(10), "two-factor on", || async {
        browser.get("/api/v1/account").await.json::<Value>().await.unwrap()["two_factor"] == true
    })
    .await;

    let path = "/api/v1/account/two-factor/disable";
    let wrong_password = browser.send_json(Method::POST, path, &json!({"password": "nope", "code": codes[0]})).await;
    assert_eq!(wrong_password.status(), StatusCode::FORBIDDEN);
    let wrong_code = browser.send_json(Method::POST, path, &json!({"password": PASSWORD, "code": "999999"})).await;
    assert_eq!(wrong_code.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An admin token can do a lot, but not this.
    let issued = browser
        .send_json(Method::POST, "/api/v1/account/tokens", &json!({"name": "ci", "scopes": ["admin", "read"]}))
        .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let token = issued.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    common::eventually(std::time::Duration::from_secs(10), "the token to work", || async {
        app.client.get(app.url("/api/v1/account")).bearer_auth(&token).send().await.unwrap().status() == StatusCode::OK
    })
    .await;
    let refused = app
        .client
        .post(app.url(path))
        .bearer_auth(&token)
        .json(&json!({"password": PASSWORD, "code": codes[0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "session_required");

    let done = browser.send_json(Method::POST, path, &json!({"password": PASSWORD, "code": codes[0]})).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    common::eventually(std::time::Duration::from_secs(10), "two-factor off", || async {
        browser.get("/api/v1/account").await.json::<Value>().await.unwrap()["two_factor"] == false
    })
    .await;
    let mut fresh = Browser::open(&app).await;
    fresh.sign_in("amira", PASSWORD).await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_walk_through_enrollment_and_the_code_step() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Viewer, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let csrf = browser.csrf.clone();
    let page = browser.post_form("/account/two-factor/enroll", &[("csrf", csrf.clone())]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("data-totp-secret"), "the QR code and the key are shown");
    let secret = html.split("data-totp-secret>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let code = code_for(&secret, now()).unwrap();
    let page = browser.post_form("/account/two-factor/confirm", &[("code", code), ("csrf", csrf.clone())]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes are shown once");
    assert!(html.contains("data-two-factor=\"on\""));
    assert!(!browser.page("/account").await.text().await.unwrap().contains("<li><code>"), "and never again");

    // The sign-in page asks for the code after the password.
    let mut next = Browser::open(&app).await;
    let csrf = next.csrf.clone();
    let form = [("username", "amira".to_owned()), ("password", PASSWORD.to_owned()), ("csrf", csrf)];
    let response = next
        .app
        .client
        .post(app.url("/login"))
        .header("cookie", &next.cookie)
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    if let Some(set) = response.headers().get("set-cookie") {
        next.cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
    }
    let html = response.text().await.unwrap();
    assert!(html.contains("action=\"/login/second-factor\"") && html.contains("autocomplete=\"one-time-code\""));
    assert_eq!(next.page("/login").await.status(), StatusCode::OK, "the code step survives a reload");
    app.stop().await.unwrap();
}
