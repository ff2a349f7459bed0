//! Switching under load: clients send requests through nginx without pause while the switch goes back and forth
//! between the colours; both colours keep running throughout (in a deployment, the old colour runs until the
//! drain is over), so not one request may fail. Each request opens a new connection, as most visitors' first
//! request does; the counts and the switch durations are printed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use lawha_deploy_worker::engine::runtime::Colour;

use super::site::{Site, get};
use crate::support::Log;

/// Concurrent clients.
const CLIENTS: usize = 8;
/// Switches: blue → green → blue … five times each way.
const SWITCHES: usize = 10;

#[derive(Default)]
struct Counts {
    blue: AtomicU64,
    green: AtomicU64,
    failed: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_back_and_forth_under_load_loses_no_request() {
    let site = Site::start().await;
    let counts = Arc::new(Counts::default());
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, port) = (site.client.clone(), site.port);
            let (counts, failures, stop) = (Arc::clone(&counts), Arc::clone(&failures), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match get(&client, port).await.as_deref() {
                        Ok("blue") => counts.blue.fetch_add(1, Ordering::Relaxed),
                        Ok("green") => counts.green.fetch_add(1, Ordering::Relaxed),
                        other => {
                            failures.lock().unwrap().push(format!("{other:?}"));
                            counts.failed.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
            })
        })
        .collect();

    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut durations = Vec::new();
    let log = Log::new();
    for i in 0..SWITCHES {
        let colour = if i % 2 == 0 { Colour::Green } else { Colour::Blue };
        let switched = site.nginx.switch(&site.upstream_file, site.port_of(colour), &log.tx).await.expect("switched");
        durations.push(switched.duration.as_millis());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();

    let (blue, green, failed) = (
        counts.blue.load(Ordering::Relaxed),
        counts.green.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
    );
    let total = blue + green + failed;
    #[allow(clippy::cast_precision_loss)] // a count of requests
    let rate = total as f64 / elapsed;
    println!(
        "load: {total} requests in {elapsed:.2} s ({rate:.0}/s) over {SWITCHES} switches by {CLIENTS} clients: \
         {blue} blue, {green} green, {failed} failed; switch durations (ms): {durations:?}"
    );
    let failures = failures.lock().unwrap();
    assert_eq!(failed, 0, "failed requests, first ones: {:?}", &failures[..failures.len().min(5)]);
    assert!(blue > 0 && green > 0, "both colours served");
    assert!(rate >= 200.0, "the load was {rate:.0} requests/s, below the 200/s this test is about");
}
