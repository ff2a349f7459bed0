//! Secrets stay out of the event log (issue 14, item 10): a plan's database password is kept in the secrets
//! table and the event refers to it, a changed or deleted plan's password is forgotten, and the sealed values of
//! events recorded before that are shown as `***` by the raw event API and never in a summary.

use crate::common;

use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId, users::Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn secrets_of(app: &common::TestApp, purpose: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM secrets WHERE purpose = $1")
        .bind(purpose.to_owned())
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plans_password_lives_beside_the_log_and_is_forgotten_with_the_plan() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    common::create_user(&app, "amira", Role::Admin, "a long enough password").await;
    let mut admin = common::Browser::open(&app).await;
    admin.sign_in("amira", "a long enough password").await;
    let work = tempfile::tempdir().unwrap();
    let plan = |password: &str| {
        json!({"name": "shop", "source": {"kind": "postgres", "url": format!("postgres://shop:{password}@127.0.0.1:5432/shop")},
               "destination": {"kind": "local", "path": work.path()}})
    };
    let created = admin.send_json(Method::POST, "/api/v1/backup-plans", &plan("first-pw-1")).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(secrets_of(&app, "plan_password").await, 1);

    let changed = admin.send_json(Method::PUT, &format!("/api/v1/backup-plans/{id}"), &plan("second-pw-2")).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(secrets_of(&app, "plan_password").await, 1, "the replaced password is forgotten");
    let shown = json!({"name": "shop", "source": {"kind": "postgres", "url": "postgres://shop:***@127.0.0.1:5432/shop"},
                       "destination": {"kind": "local", "path": work.path()}, "compression_level": 5});
    let kept = admin.send_json(Method::PUT, &format!("/api/v1/backup-plans/{id}"), &shown).await;
    assert_eq!(kept.status(), StatusCode::NO_CONTENT);
    assert_eq!(secrets_of(&app, "plan_password").await, 1, "a URL sent back as shown keeps its password");

    let log =
        app.state.db.events.read_all(0, 1000, &lawha_store::EventFilter::categories(["backup_plan"])).await.unwrap();
    let text = format!("{log:?}");
    assert!(!text.contains("sealed1:") && !text.contains("sealed2:") && !text.contains("-pw-"), "{text}");
    for event in &log {
        if let Some(reference) = event.data["spec"]["source"]["password_secret"].as_str() {
            assert!(reference.starts_with("secret:"), "{reference}");
        }
    }

    let deleted = admin
        .app
        .client
        .delete(app.url(&format!("/api/v1/backup-plans/{id}")))
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(secrets_of(&app, "plan_password").await, 0, "a deleted plan's password is forgotten");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_values_recorded_before_are_never_shown_to_readers_of_the_log() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let viewer = common::token(&app, "vera", Role::Viewer, lawha_domain::users::Scope::Read).await;
    let stream = StreamId::parse("backup_run-legacy").unwrap();
    let old = NewEvent::new(
        "BackupVerifyRequested",
        json!({"run_id": uuid::Uuid::now_v7(), "identity_sealed": "sealed1:c2VjcmV0LWlkZW50aXR5"}),
        Metadata::default(),
    );
    let appended = app.state.db.events.append(&stream, ExpectedVersion::Any, vec![old]).await.unwrap();
    let position = appended.last_position;

    let (status, event) = common::get_with_token(&app, &viewer, &format!("/api/v1/audit/{position}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["data"]["identity_sealed"], "***", "{event}");
    let legacy = "/api/v1/audit?stream=backup_run-legacy";
    common::eventually(std::time::Duration::from_secs(15), "the audit row", || async {
        let (_, page) = common::get_with_token(&app, &viewer, legacy).await;
        page["items"].as_array().is_some_and(|items| !items.is_empty())
    })
    .await;
    let (_, page) = common::get_with_token(&app, &viewer, legacy).await;
    assert!(!page.to_string().contains("sealed1:"), "no summary shows a sealed value: {page}");
    app.stop().await.unwrap();
}
