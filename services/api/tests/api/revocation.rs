//! A revoked token and a demoted user lose their power at the next request, on every process serving the panel:
//! two panels on one PostgreSQL database, clients hammering both while the change is made on one of them.

use crate::common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Browser, TestApp};
use lawha_domain::users::{Role, Scope};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

/// Requests `path` with `token` on every app in a loop until stopped; records when each request started and its
/// status.
fn hammer(
    apps: &[&TestApp],
    path: &str,
    token: &str,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<(Instant, u16)>>> {
    apps.iter()
        .flat_map(|app| (0..3).map(move |_| (app.url(path), app.client.clone())))
        .map(|(url, client)| {
            let (token, stop) = (token.to_owned(), Arc::clone(stop));
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let status = client.get(&url).bearer_auth(&token).send().await.map_or(0, |r| r.status().as_u16());
                    seen.push((started, status));
                }
                seen
            })
        })
        .collect()
}

/// Stops the hammering and returns every request that started after `after` and was still let through.
async fn let_through_after(
    tasks: Vec<tokio::task::JoinHandle<Vec<(Instant, u16)>>>,
    stop: &Arc<AtomicBool>,
    after: Instant,
    allowed: u16,
) -> Vec<u16> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut late = Vec::new();
    for task in tasks {
        late.extend(task.await.unwrap().into_iter().filter(|(at, s)| *at >= after && *s == allowed).map(|(_, s)| s));
    }
    late
}

async fn two_panels() -> (TestApp, TestApp, lawha_store::testkit::TestDb) {
    let db = common::postgres().await;
    let a = common::spawn_app(&db.url).await;
    let b = common::spawn_app(&db.url).await;
    (a, b, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_token_is_refused_at_the_next_request_on_every_panel() {
    let (a, b, _db) = two_panels().await;
    let token = common::token(&a, "amira", Role::Admin, Scope::Read).await;
    let id = token.split('_').nth(1).unwrap().to_owned();
    common::eventually(Duration::from_secs(15), "the token to work on the second panel", || async {
        b.client.get(b.url("/api/v1/audit?limit=1")).bearer_auth(&token).send().await.unwrap().status() == 200
    })
    .await;
    let mut browser = Browser::open(&a).await;
    browser.sign_in("amira", PASSWORD).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = hammer(&[&a, &b], "/api/v1/audit?limit=1", &token, &stop);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let revoked = browser.send_json(reqwest::Method::DELETE, &format!("/api/v1/account/tokens/{id}"), &json!({})).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let answered = Instant::now();
    for app in [&a, &b] {
        let next = app.client.get(app.url("/api/v1/audit?limit=1")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(next.status(), StatusCode::UNAUTHORIZED, "the next request after the revocation's answer");
    }
    let late = let_through_after(tasks, &stop, answered, 200).await;
    assert!(late.is_empty(), "{} requests started after the revocation answered were let through", late.len());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_demoted_user_loses_the_role_at_the_next_request_on_every_panel() {
    let (a, b, _db) = two_panels().await;
    common::create_user(&a, "amira", Role::Admin, PASSWORD).await;
    let token = common::token(&a, "bilal", Role::Admin, Scope::Admin).await;
    common::eventually(Duration::from_secs(15), "the token to work on the second panel", || async {
        b.client.get(b.url("/api/v1/users")).bearer_auth(&token).send().await.unwrap().status() == 200
    })
    .await;
    let mut amira = Browser::open(&a).await;
    amira.sign_in("amira", PASSWORD).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = hammer(&[&a, &b], "/api/v1/users", &token, &stop);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let demoted = amira.send_json(reqwest::Method::PUT, "/api/v1/users/bilal/role", &json!({"role": "viewer"})).await;
    assert_eq!(demoted.status(), StatusCode::NO_CONTENT);
    let answered = Instant::now();
    for app in [&a, &b] {
        let next = app.client.get(app.url("/api/v1/users")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(next.status(), StatusCode::FORBIDDEN, "the next request after the demotion's answer");
    }
    let late = let_through_after(tasks, &stop, answered, 200).await;
    assert!(late.is_empty(), "{} requests started after the demotion answered were let through", late.len());
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
