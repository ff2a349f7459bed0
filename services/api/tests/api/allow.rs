//! The address allow-list (`ui.allow_ips`): listed clients pass, others get 403 `ip_not_allowed` (JSON for
//! programs, a page for browsers) everywhere but `/health/*` and `/webhooks/*`; a proxy on this host names the
//! client with `X-Forwarded-For`; refusals are counted.

use crate::common;

use common::{TestApp, postgres, spawn_with};
use reqwest::{StatusCode, header};
use serde_json::Value;

async fn spawn_allowing(url: &str, allowed: &[&str], entrance: Option<&str>) -> TestApp {
    let (mut config, dir) = common::config(url);
    config.ui.allow_ips = allowed.iter().map(|entry| entry.parse().expect("a CIDR range")).collect();
    config.ui.entrance = entrance.map(str::to_owned);
    spawn_with(config, dir, axum::Router::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_loopback_client_passes() {
    let db = postgres().await;
    let app = spawn_allowing(&db.url, &["127.0.0.1/32", "::1/128"], None).await;
    assert_eq!(app.get("/api/v1/session").await.status(), StatusCode::OK);
    let login = app.client.get(app.url("/login")).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlisted_client_is_refused_everywhere_but_health() {
    let db = postgres().await;
    let app = spawn_allowing(&db.url, &["192.0.2.0/24", "2001:db8::/32"], None).await;

    let api = app.get("/api/v1/session").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert!(api.headers().get(header::SET_COOKIE).is_none(), "a refused client gets no session");
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ip_not_allowed", "{body}");
    assert_eq!(body["error"]["details"]["ip"], "127.0.0.1", "{body}");

    let page = app.client.get(app.url("/login")).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.headers().contains_key("content-security-policy"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Access from this address is not allowed") && html.contains("127.0.0.1"), "{html}");
    let arabic = app
        .client
        .get(app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "ar")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(arabic.contains("الوصول من هذا العنوان غير مسموح"), "{arabic}");

    let unknown = app.get("/no-such-page").await;
    assert_eq!(unknown.status(), StatusCode::FORBIDDEN, "a refused client learns nothing about the routes");
    let post = app.client.post(app.url("/login")).form(&[("username", "x")]).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);

    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    let metrics = app.get("/health/metrics").await;
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    let refused = text
        .lines()
        .find(|l| l.starts_with("lawha_http_ip_refused_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse::<f64>().ok());
    assert!(refused.is_some_and(|n| n >= 4.0), "refusals are counted:\n{text}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_on_this_host_names_the_client_with_x_forwarded_for() {
    let db = postgres().await;
    let app = spawn_allowing(&db.url, &["192.0.2.0/24"], None).await;
    let forwarded =
        |address: &'static str| app.client.get(app.url("/api/v1/session")).header("x-forwarded-for", address).send();
    assert_eq!(forwarded("192.0.2.50").await.unwrap().status(), StatusCode::OK);
    assert_eq!(forwarded("198.51.100.1, 192.0.2.50").await.unwrap().status(), StatusCode::OK, "the nearest hop");
    let refused = forwarded("198.51.100.1").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["details"]["ip"], "198.51.100.1", "{body}");
    app.stop().await.unwrap();

    // The forwarded address is what counts, so listing the proxy itself does not let everyone in.
    let app = spawn_allowing(&db.url, &["127.0.0.1/32"], None).await;
    let response = app.client.get(app.url("/api/v1/session")).header("x-real-ip", "198.51.100.1").send().await;
    assert_eq!(response.unwrap().status(), StatusCode::FORBIDDEN);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_applies_inside_and_outside_the_entrance_alike() {
    let db = postgres().await;
    let app = spawn_allowing(&db.url, &["192.0.2.0/24"], Some("/k8Jd02xQ")).await;
    for path in ["/k8Jd02xQ/login", "/login", "/k8Jd02xQ/health/live"] {
        assert_eq!(app.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    app.stop().await.unwrap();
}
