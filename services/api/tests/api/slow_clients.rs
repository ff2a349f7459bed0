//! Slow clients cannot hold connections: one that sends its headers a byte at a time (slowloris), one that stops
//! sending its body, and an idle kept-alive connection are all closed after their timeouts
//! (`http.header_read_timeout_secs`, `http.idle_timeout_secs`). Raw TCP clients, since an HTTP client library
//! would not misbehave on purpose.

use crate::common;

use std::time::{Duration, Instant};

use axum::Router;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

/// Reads until the server closes the connection (or `limit` passes: then None); returns what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&seen).into_owned())
}

async fn app_with(header_read: u64, idle: u64) -> (common::TestApp, lawha_store::testkit::TestDb) {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.http.header_read_timeout_secs = header_read;
    config.http.idle_timeout_secs = idle;
    let routes = Router::new()
        .route("/test/echo", axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }));
    (common::spawn_with(config, dir, routes).await, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_its_headers_a_byte_at_a_time_is_cut_off() {
    let (app, _db) = app_with(1, 60).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: lawha\r\n").await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Keep sending one header byte every 200 ms for 15 s, never ending the headers.
    let dribble = tokio::spawn(async move {
        for _ in 0..75 {
            if writer.write_all(b"X").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = Instant::now();
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0_u8; 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    dribble.abort();
    assert!(closed.is_ok(), "a client still sending its headers after 10 s was not cut off");
    let seen = String::from_utf8_lossy(&seen);
    assert!(!seen.contains("200 OK"), "the request was served: {seen}");
    println!("slow headers cut off after {:?}", started.elapsed());
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_sends_no_next_request_is_closed() {
    let (app, _db) = app_with(1, 60).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: lawha\r\n\r\n").await.unwrap();
    let seen = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let seen = seen.expect("an idle kept-alive connection stayed open for 10 s");
    assert!(seen.starts_with("HTTP/1.1 200"), "the request itself is answered: {seen}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_sending_its_body_is_cut_off_after_the_idle_timeout() {
    // The request timeout (30 s) would cut it too, much later; the idle timeout sees that nothing moves.
    let (app, _db) = app_with(10, 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"POST /test/echo HTTP/1.1\r\nHost: lawha\r\nContent-Length: 100\r\n\r\nonly a little")
        .await
        .unwrap();
    let seen = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(seen.is_some(), "a client that stopped sending its body held the connection for 10 s");
    app.stop().await.unwrap();
}
