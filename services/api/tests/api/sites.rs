//! Sites through the API on PostgreSQL: created by a signed-in admin with every problem of a bad site named
//! under its field and nothing recorded; the webhook secret shown once and rotated; the deploy key and the
//! environment's values sealed into the secrets table (the events hold only `secret:` references), kept by a
//! `PUT` that sends `null` or leaves the key out, and forgotten when replaced or when the site is deleted; a token
//! may read sites but never change one.

use crate::common;

use common::{postgres, spawn_app, token};
use lawha_domain::users::{Role, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backups::{call, signed_in_admin};

fn site(name: &str) -> Value {
    json!({
        "name": name,
        "repository": "git@github.com:example/shop.git",
        "branch": "main",
        "runtime": "process",
        "build_command": "make build",
        "start_command": "./shop --port $PORT",
        "health_path": "/health",
        "ports": { "blue": 9101, "green": 9102 },
        "domains": ["shop.example.com"],
        "env": { "DATABASE_URL": "postgres://shop:s3cret-value@db/shop", "MODE": "production" },
        "deploy_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material-that-must-not-leak\n-----END OPENSSH PRIVATE KEY-----\n",
    })
}

async fn secrets_count(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE purpose LIKE 'site_%'")
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap()
}

async fn site_events_text(app: &common::TestApp) -> String {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT CAST(data AS TEXT) FROM events WHERE stream_id LIKE 'site-%' ORDER BY position")
            .fetch_all(&app.state.db.read_models)
            .await
            .unwrap();
    rows.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_changes_and_deletes_a_site_whose_secrets_never_enter_the_log() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let admin = signed_in_admin(&app).await;

    let (status, created) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site("shop"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["webhook_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64, "{created}");
    assert!(created["webhook_url"].as_str().unwrap().ends_with(&format!("/webhooks/github/{id}")), "{created}");
    assert_eq!(secrets_count(&app).await, 3, "deploy key, environment values and webhook secret are kept sealed");

    let (status, shown) = call(&app, &admin, Method::GET, &format!("/api/v1/sites/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["name"], "shop");
    assert_eq!(shown["env_names"], json!(["DATABASE_URL", "MODE"]));
    assert_eq!(shown["has_deploy_key"], true);
    assert_eq!(shown["deployments"], json!([]));
    let text = format!("{shown} {}", site_events_text(&app).await);
    for leak in ["s3cret-value", "key-material-that-must-not-leak", secret.as_str(), "production"] {
        assert!(!text.contains(leak), "{leak} leaked into the answer or the log: {text}");
    }
    assert!(site_events_text(&app).await.contains("secret:"), "the events refer to the sealed values");

    // PUT with `null` keeps a value, no deploy_key keeps the key: nothing new is sealed but the environment.
    let mut changed = site("shop");
    changed["env"] = json!({ "DATABASE_URL": null, "MODE": "staging" });
    changed.as_object_mut().unwrap().remove("deploy_key");
    changed["releases_to_keep"] = json!(3);
    let (status, answer) = call(&app, &admin, Method::PUT, &format!("/api/v1/sites/{id}"), Some(changed)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    assert_eq!(secrets_count(&app).await, 3, "the replaced environment is forgotten");
    let (_, shown) = call(&app, &admin, Method::GET, &format!("/api/v1/sites/{id}"), None).await;
    assert_eq!((shown["releases_to_keep"].as_i64(), shown["has_deploy_key"].as_bool()), (Some(3), Some(true)));

    // A null for a variable that has no value yet is a problem, and records nothing.
    let head = app.state.db.events.head().await.unwrap();
    let mut unknown = site("shop");
    unknown["env"] = json!({ "NEW": null });
    let (status, answer) = call(&app, &admin, Method::PUT, &format!("/api/v1/sites/{id}"), Some(unknown)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["error"]["details"]["fields"]["env"].is_string(), "{answer}");
    assert_eq!(app.state.db.events.head().await.unwrap(), head);
    assert_eq!(secrets_count(&app).await, 3, "nothing sealed for a refused change stays");

    let path = format!("/api/v1/sites/{id}/webhook-secret");
    let (status, rotated) = call(&app, &admin, Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["webhook_secret"], secret);
    assert_eq!(secrets_count(&app).await, 3, "the old webhook secret is forgotten");

    let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/v1/sites/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(secrets_count(&app).await, 0, "a deleted site's secrets are forgotten");
    let (status, _) = call(&app, &admin, Method::GET, &format!("/api/v1/sites/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_of_a_site_is_named_under_its_field_and_nothing_is_recorded() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let admin = signed_in_admin(&app).await;
    let (status, _) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site("shop"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let head = app.state.db.events.head().await.unwrap();
    let secrets = secrets_count(&app).await;

    let bad = json!({
        "name": "shop",
        "repository": "https://user:password@github.com/example/shop.git",
        "branch": "main..x",
        "runtime": "systemd",
        "start_command": "./shop",
        "health_path": "/health",
        "ports": { "blue": 9101, "green": 9101 },
        "domains": ["Not A Domain"],
        "env": { "PORT": "1" },
        "deploy_key": "key",
        "host": "elsewhere",
    });
    let (status, answer) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let fields = answer["error"]["details"]["fields"].as_object().unwrap();
    for field in ["name", "repository", "branch", "start_command", "ports", "domains", "env", "host"] {
        assert!(fields.keys().any(|k| k == field || k.starts_with(&format!("{field}."))), "{field}: {answer}");
    }
    assert!(!fields.contains_key("runtime"), "every runtime is accepted, systemd too: {answer}");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing is recorded");
    assert_eq!(secrets_count(&app).await, secrets, "nothing sealed for a refused site stays");

    let mut units = site("units");
    units["runtime"] = json!("systemd");
    units["ports"] = json!({ "blue": 9201, "green": 9202 });
    let (status, answer) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(units)).await;
    assert_eq!(status, StatusCode::CREATED, "a systemd site is created: {answer}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reads_sites_but_never_changes_one() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let admin_token = token(&app, "robot", Role::Admin, Scope::Admin).await;
    let response = app.client.post(app.url("/api/v1/sites")).bearer_auth(&admin_token).json(&site("shop")).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "session_required", "{answer}");
    let list = app.client.get(app.url("/api/v1/sites")).bearer_auth(&admin_token).send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    app.stop().await.unwrap();
}
