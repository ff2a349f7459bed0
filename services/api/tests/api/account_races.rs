//! Races on account security (issue 14, items 8 and Low), tested by hammering and checking invariants: a burst
//! of sign-ins beyond the bound of password checks is refused with `503 busy`, a TOTP code or a recovery code
//! presented several times at once signs in once, and two administrators demoting each other at once leave one
//! administrator.

use crate::common;

use common::{Browser, TestApp, create_user, postgres, spawn_app};
use lawha_domain::{Metadata, users::Role};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_beyond_the_bound_are_refused_with_busy_and_retry_after() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let browser = Browser::open(&app).await;
    // Each from its own address and for its own (unknown) name, so no throttle stands in the way: only the bound.
    let n = app.state.passwords.limit() * 3;
    let burst = (0..n).map(|i| {
        let request = app
            .client
            .post(app.url("/login"))
            .header("cookie", &browser.cookie)
            .header("x-real-ip", format!("10.0.{}.{}", i / 200, i % 200 + 1))
            .form(&[
                ("username", format!("nobody{i}")),
                ("password", "a wrong password".to_owned()),
                ("csrf", browser.csrf.clone()),
            ]);
        async move { request.send().await.expect("a sign-in request") }
    });
    let responses = futures::future::join_all(burst).await;
    let busy: Vec<&reqwest::Response> =
        responses.iter().filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE).collect();
    let checked = responses.iter().filter(|r| r.status() == StatusCode::UNAUTHORIZED).count();
    assert!(!busy.is_empty(), "three times the bound at once exceed it");
    assert_eq!(busy.len() + checked, n, "nothing else: {:?}", responses.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert!(busy.iter().all(|r| r.headers()[header::RETRY_AFTER] == "1"));
    let body: Value =
        responses.into_iter().find(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE).unwrap().json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    // A refused check is not a failure: the same source may try again at once.
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    app.stop().await.unwrap();
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Signs `user` in, enrolls two-factor sign-in; returns the secret and the recovery codes.
async fn enrolled(app: &TestApp, user: &str) -> (String, Vec<String>) {
    let mut browser = Browser::open(app).await;
    browser.sign_in(user, PASSWORD).await;
    let enrollment: Value =
        browser.send_json(Method::POST, "/api/v1/account/two-factor/enroll", &json!({})).await.json().await.unwrap();
    let secret = enrollment["secret"].as_str().unwrap().to_owned();
    // A step the confirmation uses, so the code the race uses (the current one) is a later step... or the same:
    // confirm with the previous step's code, accepted with one step of skew.
    let code = lawha::users::two_factor::code_for(&secret, now() - 30).unwrap();
    let body: Value = browser
        .send_json(Method::POST, "/api/v1/account/two-factor/confirm", &json!({"code": code}))
        .await
        .json()
        .await
        .unwrap();
    let codes = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    common::eventually(std::time::Duration::from_secs(10), "two-factor on in the read model", || async {
        lawha::users::two_factor::is_enabled(&app.state.db, user).await.unwrap()
    })
    .await;
    (secret, codes)
}

/// `n` browsers past the password step of `user`.
async fn at_code_step<'a>(app: &'a TestApp, user: &str, n: usize) -> Vec<Browser<'a>> {
    let mut browsers = Vec::new();
    for _ in 0..n {
        let mut browser = Browser::open(app).await;
        let csrf = browser.csrf.clone();
        let body: Value = browser.login(user, PASSWORD, Some(&csrf)).await.json().await.unwrap();
        assert_eq!(body["second_factor_required"], true, "{body}");
        browser.csrf = body["csrf"].as_str().unwrap().to_owned();
        browsers.push(browser);
    }
    browsers
}

/// The code step of every browser at once with `code`, each from an address of its own (so that throttling,
/// five attempts per account and source, does not stand between them); how many signed in.
async fn race(browsers: &[Browser<'_>], code: &str) -> usize {
    let attempts = browsers.iter().enumerate().map(|(i, b)| {
        let request = b
            .app
            .client
            .post(b.app.url("/login/second-factor"))
            .header("cookie", &b.cookie)
            .header("x-real-ip", format!("198.51.100.{}", i + 1))
            .form(&[("code", code.to_owned()), ("csrf", b.csrf.clone())]);
        async move { request.send().await.unwrap().status() }
    });
    futures::future::join_all(attempts).await.into_iter().filter(|s| *s == StatusCode::OK).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_code_presented_several_times_at_once_signs_in_once() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Operator, PASSWORD).await;
    let (secret, _) = enrolled(&app, "amira").await;
    let totp = lawha::users::two_factor::code_for(&secret, now()).unwrap();
    assert_eq!(race(&at_code_step(&app, "amira", 40).await, &totp).await, 1, "a TOTP time step is accepted once");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_codes_presented_at_once_are_each_spent_once() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Operator, PASSWORD).await;
    let (_, codes) = enrolled(&app, "amira").await;
    assert_eq!(race(&at_code_step(&app, "amira", 16).await, &codes[3]).await, 1, "a recovery code signs in once");

    // The six other codes at once, one per browser: every one signs in, and none can be used again.
    let browsers = at_code_step(&app, "amira", 6).await;
    let attempts = browsers.iter().zip(&codes[4..]).enumerate().map(|(i, (b, code))| {
        let request = b
            .app
            .client
            .post(b.app.url("/login/second-factor"))
            .header("cookie", &b.cookie)
            .header("x-real-ip", format!("203.0.113.{}", i + 1))
            .form(&[("code", code.clone()), ("csrf", b.csrf.clone())]);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let left: i64 = sqlx::query_scalar("SELECT hash FROM credentials WHERE subject LIKE 'recovery:%'")
        .fetch_one(&app.state.db.read_models)
        .await
        .map(|hashes: String| i64::try_from(hashes.split(',').filter(|h| !h.is_empty()).count()).unwrap())
        .unwrap();
    assert_eq!(left, 3, "seven spent, each once: no update was lost");
    let again = at_code_step(&app, "amira", 7).await;
    for (i, (browser, code)) in again.iter().zip(&codes[3..]).enumerate() {
        let response = app
            .client
            .post(app.url("/login/second-factor"))
            .header("cookie", &browser.cookie)
            .header("x-real-ip", format!("192.0.2.{}", i + 1))
            .form(&[("code", code.clone()), ("csrf", browser.csrf.clone())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{code} was spent");
    }
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Admin, PASSWORD).await;
    create_user(&app, "badr", Role::Admin, PASSWORD).await;
    let mut amira = Browser::open(&app).await;
    amira.sign_in("amira", PASSWORD).await;
    let mut badr = Browser::open(&app).await;
    badr.sign_in("badr", PASSWORD).await;
    let admins = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(&app.state.db.read_models)
            .await
            .unwrap()
    };
    for round in 0..5 {
        let demote = json!({"role": "operator"});
        let (a, b) = tokio::join!(
            amira.send_json(Method::PUT, "/api/v1/users/badr/role", &demote),
            badr.send_json(Method::PUT, "/api/v1/users/amira/role", &demote),
        );
        let (amira_did, badr_did) = (a.status(), b.status());
        let mut statuses = [amira_did, badr_did];
        statuses.sort();
        // The loser is refused by the rule (409 last_admin), or, when its request is authorised only after the
        // winner's demotion of it is visible, for no longer being an administrator (403).
        assert_eq!(statuses[0], StatusCode::NO_CONTENT, "round {round}: {statuses:?}");
        assert!(matches!(statuses[1], StatusCode::CONFLICT | StatusCode::FORBIDDEN), "round {round}: {statuses:?}");
        let refused: Value = if amira_did == StatusCode::NO_CONTENT { b.json().await } else { a.json().await }.unwrap();
        let code = refused["error"]["code"].as_str().unwrap_or_default().to_owned();
        assert!(code == "last_admin" || code == "forbidden", "round {round}: {refused}");
        assert_eq!(admins().await, 1, "round {round}: one administrator is left");
        // Put the demoted one back for the next round.
        let demoted = if amira_did == StatusCode::NO_CONTENT { "badr" } else { "amira" };
        lawha::users::commands::change_role(&app.state.db, demoted, Role::Admin, &Metadata::default()).await.unwrap();
        common::eventually(std::time::Duration::from_secs(10), "both admins again", || async { admins().await == 2 })
            .await;
    }
    app.stop().await.unwrap();
}
