//! Accounts through the real app: the users API and page (admin), tokens on the account page, the settings page,
//! and the audit chain's "verify now".

use crate::common;

use common::{Browser, create_user, postgres, spawn_app};
use lawha_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_create_users_and_change_roles_but_never_remove_the_last_admin() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Admin, PASSWORD).await;
    let mut admin = Browser::open(&app).await;
    admin.sign_in("amira", PASSWORD).await;

    let create = |name: &str, role: &str, password: &str| json!({"name": name, "role": role, "password": password});
    let created = admin.send_json(Method::POST, "/api/v1/users", &create("bilal", "operator", PASSWORD)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    for (body, status, needle) in [
        (create("bilal", "viewer", PASSWORD), StatusCode::CONFLICT, "already exists"),
        (create("Bad Name", "viewer", PASSWORD), StatusCode::UNPROCESSABLE_ENTITY, "invalid user name"),
        (
            create("carol", "root", PASSWORD),
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected one of `viewer`, `operator`, `admin`",
        ),
        (create("carol", "viewer", "short"), StatusCode::UNPROCESSABLE_ENTITY, "at least 12"),
    ] {
        let response = admin.send_json(Method::POST, "/api/v1/users", &body).await;
        assert_eq!(response.status(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["message"].as_str().unwrap().contains(needle), "{error}");
    }
    common::eventually(std::time::Duration::from_secs(10), "bilal in the list", || async {
        let list: Value = admin.get("/api/v1/users").await.json().await.unwrap();
        list.as_array().unwrap().iter().any(|u| u["name"] == "bilal" && u["role"] == "operator")
    })
    .await;
    let list: Value = admin.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "no partial user from the refused requests: {list}");

    let role = |r: &str| json!({ "role": r });
    let demote_self = admin.send_json(Method::PUT, "/api/v1/users/amira/role", &role("viewer")).await;
    assert_eq!(demote_self.status(), StatusCode::CONFLICT);
    let same = admin.send_json(Method::PUT, "/api/v1/users/bilal/role", &role("operator")).await;
    assert_eq!(same.status(), StatusCode::CONFLICT);
    let missing = admin.send_json(Method::PUT, "/api/v1/users/nobody/role", &role("viewer")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let promoted = admin.send_json(Method::PUT, "/api/v1/users/bilal/role", &role("admin")).await;
    assert_eq!(promoted.status(), StatusCode::NO_CONTENT);

    // The page: every user with a role switch; the form creates one and redirects back.
    let html = admin.page("/users").await.text().await.unwrap();
    assert!(html.contains("data-user=\"amira\"") && html.contains("data-user=\"bilal\""));
    let csrf = admin.csrf.clone();
    let form = [("name", "dana".to_owned()), ("role", "viewer".into()), ("password", PASSWORD.into()), ("csrf", csrf)];
    let response = admin.post_form("/users", &form).await;
    assert_eq!(response.url().as_str(), app.url("/users?done=created"), "redirected back (303, followed)");
    assert!(admin.page("/users?done=created").await.text().await.unwrap().contains("data-user=\"dana\""));

    // A viewer sees neither the page nor the API.
    let mut viewer = Browser::open(&app).await;
    viewer.sign_in("dana", PASSWORD).await;
    assert_eq!(viewer.get("/users").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/api/v1/users").await.status(), StatusCode::FORBIDDEN);
    assert!(!viewer.page("/settings").await.text().await.unwrap().contains("data-effective-config"));
    let settings = admin.page("/settings").await.text().await.unwrap();
    assert!(settings.contains("data-effective-config") && !settings.contains("lawha-test-secret"), "redacted");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_issues_a_token_once_and_revokes_it() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "amira", Role::Operator, PASSWORD).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", PASSWORD).await;
    let csrf = browser.csrf.clone();
    let too_much = [("name", "ci".to_owned()), ("scope", "admin".into()), ("csrf", csrf.clone())];
    let refused = browser.post_form("/account/tokens", &too_much).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("operator cannot issue a token with the admin scope"));

    let form =
        [("name", "ci".to_owned()), ("scope", "read".into()), ("scope", "operate".into()), ("csrf", csrf.clone())];
    let created = browser.post_form("/account/tokens", &form).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let html = created.text().await.unwrap();
    let token = html.split("data-new-token>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(token.starts_with("lawha_"));
    common::eventually(std::time::Duration::from_secs(10), "the token to work", || async {
        app.client.get(app.url("/api/v1/audit")).bearer_auth(&token).send().await.unwrap().status() == StatusCode::OK
    })
    .await;
    common::eventually(std::time::Duration::from_secs(10), "the token's last use to be recorded", || async {
        let account: Value = browser.get("/api/v1/account").await.json().await.unwrap();
        account["tokens"][0]["last_used_at"].is_string()
    })
    .await;
    let account: Value = browser.get("/api/v1/account").await.json().await.unwrap();
    let listed = &account["tokens"][0];
    assert_eq!(listed["scopes"], json!(["read", "operate"]));
    assert!(!browser.page("/account").await.text().await.unwrap().contains(&token), "shown once");

    let id = listed["token_id"].as_str().unwrap();
    let revoked = browser.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", csrf.clone())]).await;
    assert_eq!(revoked.url().path(), "/account", "redirected back");
    common::eventually(std::time::Duration::from_secs(10), "the revoked token to stop working", || async {
        app.client.get(app.url("/api/v1/audit")).bearer_auth(&token).send().await.unwrap().status()
            == StatusCode::UNAUTHORIZED
    })
    .await;
    let again = browser.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", csrf.clone())]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    // Password change: the wrong current password is refused; the right one works and the old one stops.
    let form = |current: &str| {
        [
            ("current_password", current.to_owned()),
            ("new_password", "a brand new passphrase".to_owned()),
            ("confirm_password", "a brand new passphrase".to_owned()),
            ("csrf", csrf.clone()),
        ]
    };
    assert_eq!(browser.post_form("/account/password", &form("wrong")).await.status(), StatusCode::FORBIDDEN);
    let changed = browser.post_form("/account/password", &form(PASSWORD)).await;
    assert_eq!(changed.url().as_str(), app.url("/account?done=password"));
    let mut fresh = Browser::open(&app).await;
    let csrf = fresh.csrf.clone();
    assert_eq!(fresh.login("amira", PASSWORD, Some(&csrf)).await.status(), StatusCode::UNAUTHORIZED);
    fresh.sign_in("amira", "a brand new passphrase").await;
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_queue_a_chain_verification_from_the_audit_page_and_everyone_sees_the_result() {
    let db = postgres().await;
    let (config, dir) = common::config(&db.url);
    let app = common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await;
    create_user(&app, "amira", Role::Admin, PASSWORD).await;
    create_user(&app, "bilal", Role::Viewer, PASSWORD).await;
    let mut admin = Browser::open(&app).await;
    admin.sign_in("amira", PASSWORD).await;
    assert!(admin.page("/audit").await.text().await.unwrap().contains("data-chain=\"never\""));
    let csrf = admin.csrf.clone();
    let response = admin.post_form("/audit/verify", &[("csrf", csrf)]).await;
    assert_eq!(response.url().path(), "/audit", "back to the audit page");
    assert_eq!(response.url().query(), Some("done=verify-queued"));
    let html = response.text().await.unwrap();
    assert!(html.contains("data-chain-queued"), "the notice says it is queued: {html}");
    // The request is in the log, asked by the admin; the job (a worker's) records the verdict beside it.
    let stream = lawha_domain::StreamId::parse("audit_chain-main").unwrap();
    let requests = app.state.db.events.read_stream(&stream, 0, i64::MAX).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].event_type, "AuditChainVerifyRequested");
    assert_eq!(requests[0].metadata.actor.as_deref(), Some("user:amira"));
    // The in-process admin worker runs the job.
    let events = std::sync::Arc::clone(&app.state.db.events);
    common::eventually(std::time::Duration::from_secs(30), "the verdict", || {
        let events = std::sync::Arc::clone(&events);
        async move {
            let found =
                events.read_all(0, 100, &lawha_store::EventFilter::types(["AuditChainVerified"])).await.unwrap();
            !found.is_empty()
        }
    })
    .await;
    let mut viewer = Browser::open(&app).await;
    viewer.sign_in("bilal", PASSWORD).await;
    let html = viewer.page("/audit").await.text().await.unwrap();
    assert!(html.contains("data-chain=\"ok\"") && html.contains("user:amira"), "the result and who asked");
    assert!(!html.contains("/audit/verify"), "viewers get no button");
    let csrf = viewer.csrf.clone();
    assert_eq!(viewer.post_form("/audit/verify", &[("csrf", csrf)]).await.status(), StatusCode::FORBIDDEN);
    // A later request does not hide the last result.
    let csrf = admin.csrf.clone();
    let html = admin.post_form("/audit/verify", &[("csrf", csrf)]).await.text().await.unwrap();
    assert!(html.contains("data-chain=\"ok\""), "{html}");
    app.stop().await.unwrap();
}
