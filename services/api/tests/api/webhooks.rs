//! GitHub's webhook on PostgreSQL, with real payload shapes: a delivery is taken only with the site's signature
//! (a missing or wrong one is 401 and only the rejection is recorded, with the client's address); a push to the
//! branch asks for a deployment of exactly its commit, answered at once; a redelivery deploys nothing new; a
//! ping, a tag push, a deleted branch, another branch and another event are recorded and deploy nothing; a
//! form-encoded body works; a body over 25 MB is 413; a push while a deployment runs joins one follow-up.

use crate::common;

use common::{postgres, spawn_app};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::backups::{call, signed_in_admin};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const ZERO: &str = "0000000000000000000000000000000000000000";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn push(git_ref: &str, after: &str) -> Value {
    let deleted = after == ZERO;
    json!({
        "ref": git_ref, "before": ZERO, "after": after, "created": false, "deleted": deleted, "forced": false,
        "repository": { "id": 1, "full_name": "example/shop", "default_branch": "main" },
        "pusher": { "name": "amira", "email": "amira@example.com" },
        "sender": { "login": "amira" },
        "head_commit": if deleted { Value::Null } else { json!({ "id": after, "message": "Fix the cart" }) },
        "commits": [],
    })
}

struct Hook {
    site_id: String,
    secret: String,
}

async fn site(app: &common::TestApp) -> Hook {
    let admin = signed_in_admin(app).await;
    let body = json!({
        "name": "shop", "repository": "https://github.com/example/shop.git", "branch": "main",
        "runtime": "process", "start_command": "./shop --port $PORT", "health_path": "/health",
        "ports": { "blue": 9201, "green": 9202 },
    });
    let (status, created) = call(app, &admin, Method::POST, "/api/v1/sites", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    Hook {
        site_id: created["id"].as_str().unwrap().to_owned(),
        secret: created["webhook_secret"].as_str().unwrap().to_owned(),
    }
}

async fn deliver(
    app: &common::TestApp,
    hook: &Hook,
    event: &str,
    delivery: &str,
    body: Vec<u8>,
    signature: Option<String>,
    content_type: &str,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/webhooks/github/{}", hook.site_id)))
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("x-github-hook-id", "4242")
        .header("content-type", content_type)
        .header("x-real-ip", "203.0.113.9");
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response = request.body(body).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

async fn signed(
    app: &common::TestApp,
    hook: &Hook,
    event: &str,
    delivery: &str,
    payload: &Value,
) -> (StatusCode, Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let signature = sign(&hook.secret, &body);
    deliver(app, hook, event, delivery, body, Some(signature), "application/json").await
}

async fn events_of(app: &common::TestApp, pattern: &str) -> Vec<(String, Value, Value)> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT type, CAST(data AS TEXT), CAST(metadata AS TEXT) FROM events WHERE stream_id LIKE $1 ORDER BY position",
    )
    .bind(pattern.to_owned())
    .fetch_all(&app.state.db.read_models)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(t, d, m)| (t, serde_json::from_str(&d).unwrap(), serde_json::from_str(&m).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_push_to_the_branch_asks_for_its_commit_once_and_a_bad_signature_records_only_the_rejection() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let hook = site(&app).await;
    let body = serde_json::to_vec(&push("refs/heads/main", COMMIT)).unwrap();

    let head = app.state.db.events.head().await.unwrap();
    for signature in [None, Some("sha256=nothex".to_owned()), Some(sign("another secret", &body))] {
        let (status, answer) =
            deliver(&app, &hook, "push", "d-1", body.clone(), signature.clone(), "application/json").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{signature:?}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_signature", "{answer}");
    }
    let after = app.state.db.events.head().await.unwrap();
    assert_eq!(after - head, 3, "three rejections, nothing else");
    let rejected = events_of(&app, "webhook-%").await;
    assert!(
        rejected.iter().all(|(t, _, m)| t == "WebhookDeliveryRejected" && m["ip"] == "203.0.113.9"),
        "{rejected:?}"
    );
    assert!(events_of(&app, "deployment-%").await.is_empty());

    let started = std::time::Instant::now();
    let (status, answer) = signed(&app, &hook, "push", "d-2", &push("refs/heads/main", COMMIT)).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let deployment_id = answer["deployment_id"].as_str().unwrap().to_owned();
    println!("a push was answered in {took:?}");
    let requested = events_of(&app, &format!("deployment-{deployment_id}")).await;
    assert_eq!(requested.len(), 1, "{requested:?}");
    assert_eq!(requested[0].0, "DeploymentRequested");
    assert_eq!(requested[0].1["commit"], COMMIT);
    assert_eq!(requested[0].1["trigger"]["pusher"], "amira");
    assert_eq!(requested[0].1["trigger"]["delivery_id"], "d-2");

    // GitHub's "Redeliver" sends the same delivery id again: nothing new.
    let head = app.state.db.events.head().await.unwrap();
    let (status, answer) = signed(&app, &hook, "push", "d-2", &push("refs/heads/main", COMMIT)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["repeated"], true, "{answer}");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "a redelivery records nothing");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_tags_deleted_branches_other_branches_and_other_events_are_recorded_and_deploy_nothing() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let hook = site(&app).await;
    let ping = json!({ "zen": "Design for failure.", "hook_id": 4242, "hook": { "type": "Repository" } });
    let cases = [
        ("ping", ping, StatusCode::OK),
        ("push", push("refs/tags/v1.0.0", COMMIT), StatusCode::ACCEPTED),
        ("push", push("refs/heads/main", ZERO), StatusCode::ACCEPTED),
        ("push", push("refs/heads/feature", COMMIT), StatusCode::ACCEPTED),
        ("issues", json!({ "action": "opened" }), StatusCode::ACCEPTED),
    ];
    for (i, (event, payload, expected)) in cases.into_iter().enumerate() {
        let (status, answer) = signed(&app, &hook, event, &format!("o-{i}"), &payload).await;
        assert_eq!(status, expected, "{event} {payload}: {answer}");
        assert!(answer.get("deployment_id").is_none(), "{answer}");
    }
    let received = events_of(&app, "webhook-%").await;
    assert_eq!(received.len(), 5, "{received:?}");
    assert!(received.iter().all(|(t, ..)| t == "WebhookDeliveryReceived"));
    assert!(events_of(&app, "deployment-%").await.is_empty(), "nothing deploys");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_encoded_delivery_works_and_one_over_25_mb_is_refused() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let hook = site(&app).await;
    let payload = serde_json::to_string(&push("refs/heads/main", COMMIT)).unwrap();
    let body = serde_urlencoded::to_string([("payload", payload)]).unwrap().into_bytes();
    let signature = sign(&hook.secret, &body);
    let (status, answer) =
        deliver(&app, &hook, "push", "f-1", body, Some(signature), "application/x-www-form-urlencoded").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert!(answer["deployment_id"].is_string(), "{answer}");

    // Over 25 MB: refused from the Content-Length, before a byte of the body is read (a client that goes on
    // sending gets its connection closed, so this one sends only the head).
    assert_eq!(status_for_length(&app, &hook, 25 * 1024 * 1024 + 1).await, 413);
    // Just under the limit is read (and refused as not JSON, 400, not 413).
    let mut near = vec![b' '; 20 * 1024 * 1024];
    near.extend_from_slice(b"{");
    let signature = sign(&hook.secret, &near);
    let (status, answer) = deliver(&app, &hook, "push", "f-3", near, Some(signature), "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_while_a_deployment_waits_join_one_follow_up() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let hook = site(&app).await;
    let (status, first) = signed(&app, &hook, "push", "p-1", &push("refs/heads/main", COMMIT)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let first = first["deployment_id"].as_str().unwrap().to_owned();
    common::eventually(std::time::Duration::from_secs(10), "the deployment in the read model", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deployments")
            .fetch_one(&app.state.db.read_models)
            .await
            .unwrap()
            == 1
    })
    .await;
    let mut follow_ups = Vec::new();
    for (i, commit) in
        ["1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"].into_iter().enumerate()
    {
        let (status, answer) =
            signed(&app, &hook, "push", &format!("p-{}", i + 2), &push("refs/heads/main", commit)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        follow_ups.push(answer["deployment_id"].as_str().unwrap().to_owned());
        common::eventually(std::time::Duration::from_secs(10), "the follow-up in the read model", || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deployments")
                .fetch_one(&app.state.db.read_models)
                .await
                .unwrap()
                == 2
        })
        .await;
    }
    assert_ne!(follow_ups[0], first);
    assert_eq!(follow_ups[0], follow_ups[1], "the second push joins the waiting follow-up");
    let requested = events_of(&app, &format!("deployment-{}", follow_ups[0])).await;
    assert_eq!(requested[0].1["trigger"]["kind"], "follow_up", "{requested:?}");
    assert_eq!(requested[0].1["commit"], Value::Null, "the follow-up fetches the newest commit when it starts");
    app.stop().await.unwrap();
}

/// The status a delivery's head alone gets when it announces `length` bytes.
async fn status_for_length(app: &common::TestApp, hook: &Hook, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.url("/").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /webhooks/github/{} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         X-GitHub-Event: push\r\nX-GitHub-Delivery: big\r\nContent-Length: {length}\r\n\r\n",
        hook.site_id
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64];
    let read = stream.read(&mut answer).await.unwrap();
    let line = String::from_utf8_lossy(&answer[..read]).into_owned();
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {line}"))
}
