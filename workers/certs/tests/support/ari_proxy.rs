//! A CA with ARI for the tests, since pebble 2.4 has none: the world's nginx terminates TLS on a port of its own
//! (with the `localhost` certificate of the pebble harness) and sends everything to pebble, except the
//! directory, the renewal information and new orders, which go to a small axum server here. The directory gets
//! a `renewalInfo` URL; the renewal information is a window the test sets; a new order's `replaces` is noted
//! and echoed in the answer (as RFC 9773 asks of a CA that accepts it).
//!
//! A second, plain listener of nginx forwards to pebble with the front's host and `X-Forwarded-Proto: https`,
//! so pebble writes (and checks the JWS `url` of) every URL as the front's.

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::{pebble::free_port, world::World};

/// What the proxy answers and what it saw.
#[derive(Debug)]
pub struct Seen {
    /// The window every renewal information request gets.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// The ids the renewal information was asked for.
    pub asked: Vec<String>,
    /// The `replaces` of each new order (None for an order without).
    pub replaces: Vec<Option<String>>,
}

/// The proxy.
#[derive(Debug, Clone)]
pub struct AriProxy {
    /// The directory URL to order from.
    pub directory: String,
    /// The shared state.
    pub seen: Arc<Mutex<Seen>>,
    front: u16,
    back: u16,
}

/// Decodes base64url without padding.
fn unbase64url(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | u32::from(value(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

impl AriProxy {
    /// Starts the proxy in front of `world`'s pebble, with `window`.
    pub async fn start(world: &World, window: (DateTime<Utc>, DateTime<Utc>)) -> Self {
        let (front, back) = (free_port(), free_port());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app_port = listener.local_addr().unwrap().port();
        let proxy = Self {
            directory: format!("https://127.0.0.1:{front}/dir"),
            seen: Arc::new(Mutex::new(Seen { window, asked: Vec::new(), replaces: Vec::new() })),
            front,
            back,
        };
        let app = Router::new()
            .route("/dir", get(directory))
            .route("/renewal-info/{id}", get(renewal_info))
            .route("/order-plz", post(new_order))
            .with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (pebble, p) = (world.pebble.acme_port, &world.pebble);
        let conf = format!(
            "server {{ listen 127.0.0.1:{front} ssl; ssl_certificate {cert}; ssl_certificate_key {key};
                location = /dir {{ proxy_pass http://127.0.0.1:{app_port}; }}
                location /renewal-info/ {{ proxy_pass http://127.0.0.1:{app_port}; }}
                location = /order-plz {{ proxy_pass http://127.0.0.1:{app_port}; }}
                location / {{ proxy_pass https://127.0.0.1:{pebble}; proxy_set_header Host $http_host; }} }}
             server {{ listen 127.0.0.1:{back};
                location / {{ proxy_pass https://127.0.0.1:{pebble}; proxy_set_header Host 127.0.0.1:{front};
                             proxy_set_header X-Forwarded-Proto https; }} }}\n",
            cert = p.localhost_cert.display(),
            key = p.localhost_key.display(),
        );
        world.site("ari-proxy", &conf, front);
        proxy
    }

    /// Sets the window the CA suggests from now on.
    pub fn set_window(&self, window: (DateTime<Utc>, DateTime<Utc>)) {
        self.seen.lock().unwrap().window = window;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn directory(State(proxy): State<AriProxy>) -> Response {
    let url = format!("http://127.0.0.1:{}/dir", proxy.back);
    let mut dir: Value = client().get(url).send().await.unwrap().json().await.unwrap();
    dir["renewalInfo"] = Value::String(format!("https://127.0.0.1:{}/renewal-info", proxy.front));
    axum::Json(dir).into_response()
}

async fn renewal_info(State(proxy): State<AriProxy>, Path(id): Path<String>) -> Response {
    let mut seen = proxy.seen.lock().unwrap();
    seen.asked.push(id);
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let body = serde_json::json!({ "suggestedWindow": { "start": at(seen.window.0), "end": at(seen.window.1) } });
    ([(header::RETRY_AFTER, "3600")], axum::Json(body)).into_response()
}

async fn new_order(State(proxy): State<AriProxy>, headers: HeaderMap, body: Bytes) -> Response {
    let jws: Value = serde_json::from_slice(&body).unwrap();
    let payload: Value = serde_json::from_slice(&unbase64url(jws["payload"].as_str().unwrap())).unwrap();
    let replaces = payload["replaces"].as_str().map(str::to_owned);
    proxy.seen.lock().unwrap().replaces.push(replaces.clone());
    let url = format!("http://127.0.0.1:{}/order-plz", proxy.back);
    let content_type =
        headers.get(header::CONTENT_TYPE).cloned().unwrap_or(HeaderValue::from_static("application/jose+json"));
    let answer = client().post(url).header(header::CONTENT_TYPE, content_type).body(body).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut out = HeaderMap::new();
    for name in ["location", "replay-nonce", "link"] {
        for value in answer.headers().get_all(name) {
            out.append(header::HeaderName::from_static(name), HeaderValue::from_bytes(value.as_bytes()).unwrap());
        }
    }
    let mut order: Value = answer.json().await.unwrap();
    if let (Some(replaces), true) = (replaces, status.is_success()) {
        order["replaces"] = Value::String(replaces);
    }
    (status, out, axum::Json(order)).into_response()
}
