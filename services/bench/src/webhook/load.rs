//! The load generator both receivers get: `connections` HTTP/1.1 keep-alive connections (a client of its own
//! each, one request at a time on it, as wrk does), each sending signed deliveries back to back for a fixed time;
//! each answer's status and latency (from the first byte sent to the last byte of the body read) are kept. A
//! receiver that closes its connections after each answer (gunicorn's sync workers do) makes its clients
//! reconnect, and that is billed to it, as it would be with GitHub.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;

use super::payload::Deliveries;

/// What one load run saw.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Answers 202: deliveries the receiver took.
    pub accepted: u64,
    /// Other answers, by status.
    pub other: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused or reset, timeout).
    pub failed: u64,
    /// The first failure or unexpected answer, to show.
    pub first_problem: Option<String>,
    /// The latency of every answered request, in microseconds.
    pub latencies_us: Vec<u64>,
    /// From the first request sent to the last answer read.
    pub elapsed: Duration,
}

impl Tally {
    /// Accepted deliveries per second.
    pub fn rate(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // counts are small
        let accepted = self.accepted as f64;
        accepted / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile of the answers' latencies, in milliseconds (NaN when nothing was answered).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        quantile_ms(&sorted, q)
    }

    /// Adds another run's figures (the time is added too, so `rate` stays accepted per second of load).
    pub fn absorb(&mut self, other: Self) {
        self.accepted += other.accepted;
        for (status, count) in other.other {
            *self.other.entry(status).or_default() += count;
        }
        self.failed += other.failed;
        self.first_problem = self.first_problem.take().or(other.first_problem);
        self.latencies_us.extend(other.latencies_us);
        self.elapsed += other.elapsed;
    }

    /// "none", or what went wrong: statuses other than 202 and unanswered requests.
    pub fn problems(&self) -> String {
        let mut parts: Vec<String> = self.other.iter().map(|(s, n)| format!("{n} × {s}")).collect();
        if self.failed > 0 {
            parts.push(format!("{} unanswered", self.failed));
        }
        if parts.is_empty() { "none".to_owned() } else { parts.join(", ") }
    }
}

/// The `q` quantile of `sorted` microseconds, in milliseconds.
pub fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    #[allow(clippy::cast_precision_loss)]
    let ms = sorted[i.min(sorted.len() - 1)] as f64 / 1000.0;
    ms
}

/// Sends deliveries to `url` over `connections` connections for `duration`; `next` numbers the deliveries
/// (shared with the previous runs against the same receiver, so no delivery id is sent twice).
pub async fn run(
    url: &str,
    deliveries: &Deliveries,
    connections: usize,
    duration: Duration,
    next: &Arc<AtomicU64>,
) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let client = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building an HTTP client")?;
        let (url, deliveries, next) = (url.to_owned(), deliveries.clone(), Arc::clone(next));
        clients.spawn(async move {
            let mut tally = Tally::default();
            while started.elapsed() < duration {
                let delivery = deliveries.make(next.fetch_add(1, Ordering::Relaxed));
                let sent = Instant::now();
                let answer = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("user-agent", "GitHub-Hookshot/lawha-bench")
                    .header("x-github-event", "push")
                    .header("x-github-delivery", &delivery.id)
                    .header("x-github-hook-id", "4242")
                    .header("x-hub-signature-256", &delivery.signature)
                    .body(delivery.body)
                    .send()
                    .await;
                // The body is read to its end, so the connection can carry the next request.
                let answer = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        response.bytes().await.map(|body| (status, body))
                    }
                    Err(e) => Err(e),
                };
                match answer {
                    Ok((status, body)) => {
                        let took = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                        tally.latencies_us.push(took);
                        if status == 202 {
                            tally.accepted += 1;
                        } else {
                            *tally.other.entry(status).or_default() += 1;
                            tally.first_problem.get_or_insert_with(|| {
                                format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]))
                            });
                        }
                    }
                    Err(e) => {
                        tally.failed += 1;
                        tally.first_problem.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(joined) = clients.join_next().await {
        total.absorb(joined.context("a load client panicked")?);
    }
    // The clients ran side by side: the run took as long as the longest of them.
    total.elapsed = started.elapsed();
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_sorted_latencies() {
        let tally = Tally { latencies_us: vec![5_000, 1_000, 2_000, 3_000, 4_000], ..Tally::default() };
        assert!((tally.quantile_ms(0.5) - 3.0).abs() < 1e-9);
        assert!((tally.quantile_ms(1.0) - 5.0).abs() < 1e-9);
        assert!(Tally::default().quantile_ms(0.99).is_nan());
    }
}
