//! The client address every guard sees (issue 14, item 5): a dual-stack listener's `::ffff:127.0.0.1` is the
//! loopback proxy it is, a trusted proxy names the client, and nobody else can.
//!
//! The allow-list's refusal names the address the panel settled on (`details.ip`), which makes it visible here.

use crate::common;

use common::{TestApp, postgres, spawn_with};
use reqwest::StatusCode;
use serde_json::Value;

/// A panel that allows only 192.0.2.0/24, listening on `listen`, trusting `trusted` as proxies.
async fn spawn(url: &str, listen: &str, trusted: Option<&[&str]>) -> TestApp {
    let (mut config, dir) = common::config(url);
    config.listen = listen.parse().expect("a socket address");
    config.ui.allow_ips = vec!["192.0.2.0/24".parse().expect("a range")];
    if let Some(trusted) = trusted {
        config.http.trusted_proxies = trusted.iter().map(|t| t.parse().expect("a range")).collect();
    }
    spawn_with(config, dir, axum::Router::new()).await
}

/// The address the panel saw for a request to `127.0.0.1:<port>` with these headers: `None` when it was
/// allowed.
async fn seen(app: &TestApp, headers: &[(&str, &str)]) -> Option<String> {
    let mut request = app.client.get(format!("http://127.0.0.1:{}/api/v1/session", app.addr.port()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    if response.status() == StatusCode::OK {
        return None;
    }
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("JSON");
    Some(body["error"]["details"]["ip"].as_str().expect("the refused address").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dual_stack_listener_treats_a_mapped_loopback_peer_as_the_local_proxy() {
    let db = postgres().await;
    let app = spawn(&db.url, "[::]:0", None).await;
    // The peer is ::ffff:127.0.0.1: recorded as 127.0.0.1, and trusted like it to name the client.
    assert_eq!(seen(&app, &[]).await.as_deref(), Some("127.0.0.1"));
    assert_eq!(seen(&app, &[("x-real-ip", "203.0.113.5")]).await.as_deref(), Some("203.0.113.5"));
    assert_eq!(seen(&app, &[("x-real-ip", "::ffff:203.0.113.6")]).await.as_deref(), Some("203.0.113.6"));
    assert_eq!(seen(&app, &[("x-real-ip", "192.0.2.9")]).await, None, "the allowed client behind the proxy");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_trusted_proxies_name_the_client_and_forged_entries_are_skipped() {
    let db = postgres().await;
    let app = spawn(&db.url, "127.0.0.1:0", None).await;
    // What nginx sends for a client that forged its own X-Forwarded-For: the forged entry is left of the real one.
    let forwarded = [("x-forwarded-for", "192.0.2.9, 198.51.100.7")];
    assert_eq!(seen(&app, &forwarded).await.as_deref(), Some("198.51.100.7"), "the right-most untrusted entry");
    let through_two = [("x-forwarded-for", "192.0.2.9, 198.51.100.7, 127.0.0.1"), ("x-real-ip", "127.0.0.1")];
    assert_eq!(seen(&app, &through_two).await.as_deref(), Some("198.51.100.7"), "past the second local proxy");
    app.stop().await.unwrap();

    let app = spawn(&db.url, "127.0.0.1:0", Some(&[])).await;
    assert_eq!(seen(&app, &[("x-real-ip", "192.0.2.9")]).await.as_deref(), Some("127.0.0.1"), "no proxy trusted");
    app.stop().await.unwrap();
}
