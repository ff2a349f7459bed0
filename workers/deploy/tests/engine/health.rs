//! The health gate against a tiny real HTTP server on loopback that answers a script of statuses.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use lawha_deploy_worker::{
    engine::{EngineError, LastAnswer, health::HealthGate},
    messages,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::support::{Log, free_port};

/// Serves `statuses` in order, one per request (the last one forever after); returns the port and the count of
/// requests served.
async fn scripted(statuses: &'static [u16]) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, served)
}

fn gate(deadline: Duration) -> HealthGate {
    HealthGate { interval: Duration::from_millis(50), deadline, ..HealthGate::new("/health") }
}

#[tokio::test]
async fn the_gate_passes_after_three_answers_200_in_a_row() {
    let (port, served) = scripted(&[503, 200, 503, 200]).await;
    let mut log = Log::new();
    let passed = gate(Duration::from_secs(10)).wait(port, &log.tx).await.expect("passes");
    assert_eq!(passed.requests, 6, "503, 200, 503, then three 200s");
    assert_eq!(served.load(Ordering::SeqCst), 6);
    let codes: Vec<String> = log.drain().into_iter().map(|m| m.code).collect();
    assert_eq!(codes, ["deploy.health_checking", "deploy.health_passed"]);
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_refused_with_its_last_status() {
    let (port, _) = scripted(&[200, 200, 500]).await;
    let error = gate(Duration::from_millis(800)).wait(port, &Log::new().tx).await.expect_err("unhealthy");
    let EngineError::Unhealthy { last, needed, .. } = &error else { panic!("{error:?}") };
    assert_eq!((last, *needed), (&LastAnswer::Status(500), 3));
    let url = format!("http://127.0.0.1:{port}/health");
    assert_eq!(error.message(), messages::unhealthy_status(&url, 3u32, 1u64, 500u16));
}

#[tokio::test]
async fn nothing_listening_is_refused_with_the_connection_error() {
    let port = free_port();
    let started = Instant::now();
    let error = gate(Duration::from_secs(1)).wait(port, &Log::new().tx).await.expect_err("nothing there");
    assert!(started.elapsed() < Duration::from_millis(1500), "the deadline holds: {:?}", started.elapsed());
    let EngineError::Unhealthy { last: LastAnswer::Error(reason), .. } = &error else { panic!("{error:?}") };
    assert!(reason.to_lowercase().contains("refused"), "{reason}");
}

#[tokio::test]
async fn a_server_that_never_answers_counts_as_an_error_within_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut silent = gate(Duration::from_millis(900));
    silent.request_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = silent.wait(port, &Log::new().tx).await.expect_err("no answer");
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    let EngineError::Unhealthy { last: LastAnswer::Error(reason), .. } = &error else { panic!("{error:?}") };
    assert!(reason.contains("timed out"), "{reason}");
    held.abort();
}
