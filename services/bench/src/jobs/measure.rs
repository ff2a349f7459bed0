//! The two measurements of `lawha bench jobs`, read back from the event log: throughput (rounds of `--jobs` probes
//! asked by `--clients` concurrent clients, from the first request to the last `JobSucceeded`) and request → start
//! latency at a steady `--rate`.

use std::{
    net::SocketAddr,
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use lawha_store::Database;

use super::{JobsArgs, ask, head, wait_ready, wait_succeeded};
use crate::common::{settle, thousands};

/// The targets: end-to-end throughput, and the 99th percentile of request → start at the steady rate.
const TARGET_JOBS_PER_SECOND: f64 = 3000.0;
const TARGET_P99_MS: f64 = 50.0;

/// What the pipeline is driven through.
pub(super) struct Target<'a> {
    pub client: Arc<reqwest::Client>,
    pub base: String,
    pub token: &'a str,
    pub db: &'a Database,
}

pub(super) async fn measure(
    args: &JobsArgs,
    addr: SocketAddr,
    token: &str,
    db: &Database,
    reference: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let client = Arc::new(reqwest::Client::builder().tcp_nodelay(true).build()?);
    let t = Target { client, base: format!("http://{addr}"), token, db };
    wait_ready(&t.client, &t.base, token).await?;
    // A warm-up job, so the workers have registered and the first measured job does not pay for it.
    ask(&t.client, &t.base, token).await?;
    let mut succeeded = 1;
    wait_succeeded(db, succeeded, Duration::from_secs(60)).await?;
    println!(
        "pipeline: this binary as the panel and {} worker processes (concurrency {} each) on PostgreSQL and Redis; \
         {} clients ask for {} jobs per round",
        args.workers, args.concurrency, args.clients, args.jobs
    );
    let mut rates = Vec::new();
    for round in 1..=args.rounds {
        // What the previous round left dirty is written out first, so it is not billed to this one.
        settle(&args.admin_url).await;
        let (asking, rate) = throughput(&t, args, succeeded).await?;
        succeeded += args.jobs;
        let ratio = reference.map_or_else(|| "-".to_owned(), |r| format!("{:.2}", rate / r));
        println!(
            "round {round}: requests accepted at {} requests/s; {} jobs/s end to end (× Celery: {ratio})",
            thousands(asking),
            thousands(rate)
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    let ratio = reference.map_or_else(|| "-".to_owned(), |r| format!("{:.2}", median / r));
    println!(
        "throughput: median of {} rounds {} jobs/s (× Celery: {ratio}); target ≥ {}: {}",
        rates.len(),
        thousands(median),
        thousands(TARGET_JOBS_PER_SECOND),
        if median >= TARGET_JOBS_PER_SECOND { "met" } else { "NOT met" }
    );

    settle(&args.admin_url).await;
    let latencies = latency(&t, args, succeeded).await?;
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or(f64::NAN)
    };
    println!(
        "latency at {} jobs/s for {} s ({} jobs): request → start p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         target p99 < {TARGET_P99_MS} ms: {}",
        args.rate,
        args.seconds,
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        if at(0.99) < TARGET_P99_MS { "met" } else { "NOT met" }
    );
    Ok(ExitCode::SUCCESS)
}

/// One round: `--jobs` probes asked by `--clients` clients at once; returns requests/s and jobs/s end to end.
async fn throughput(t: &Target<'_>, args: &JobsArgs, before: u64) -> anyhow::Result<(f64, f64)> {
    let start = head(t.db).await?;
    let asked = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    let next = Arc::new(AtomicU64::new(0));
    for _ in 0..args.clients {
        let (client, base, token, next, jobs) =
            (Arc::clone(&t.client), t.base.clone(), t.token.to_owned(), Arc::clone(&next), args.jobs);
        clients.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < jobs {
                ask(&client, &base, &token).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = clients.join_next().await {
        joined??;
    }
    #[allow(clippy::cast_precision_loss)] // job counts are small
    let asking = args.jobs as f64 / asked.elapsed().as_secs_f64();
    wait_succeeded(t.db, before + args.jobs, Duration::from_secs(600)).await?;
    let span: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM ( \
             (SELECT MAX(recorded_at) FROM events WHERE position > $1 AND type = 'JobSucceeded') \
           - (SELECT MIN(recorded_at) FROM events WHERE position > $1 AND type = 'ProbeRequested')))::float8",
    )
    .bind(start)
    .fetch_one(t.db.pg_pool().context("PostgreSQL")?)
    .await?;
    #[allow(clippy::cast_precision_loss)] // job counts are small
    Ok((asking, args.jobs as f64 / span.max(1e-6)))
}

/// Probes asked at a steady `--rate` for `--seconds`; returns each one's request → start time in ms, sorted.
async fn latency(t: &Target<'_>, args: &JobsArgs, before: u64) -> anyhow::Result<Vec<f64>> {
    let start = head(t.db).await?;
    let total = args.rate * args.seconds;
    let every = Duration::from_secs_f64(1.0 / f64::from(u32::try_from(args.rate).unwrap_or(u32::MAX)));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..total {
        tick.tick().await;
        let (client, base, token) = (Arc::clone(&t.client), t.base.clone(), t.token.to_owned());
        asks.spawn(async move { ask(&client, &base, &token).await });
    }
    while let Some(joined) = asks.join_next().await {
        joined??;
    }
    wait_succeeded(t.db, before + total, Duration::from_secs(300)).await?;
    let mut latencies: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (s.recorded_at - r.recorded_at)) * 1000)::float8 FROM events r \
         JOIN events s ON s.stream_id = 'job-' || r.event_id::text AND s.type = 'JobStarted' \
         WHERE r.position > $1 AND r.type = 'ProbeRequested'",
    )
    .bind(start)
    .fetch_all(t.db.pg_pool().context("PostgreSQL")?)
    .await?;
    latencies.sort_by(f64::total_cmp);
    Ok(latencies)
}
