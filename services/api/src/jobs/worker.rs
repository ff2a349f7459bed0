//! `lawha worker`: workers for some queues, as a process of their own (systemd unit or compose service), on the
//! same runtime as the in-process workers of `lawha serve`. SIGTERM stops taking jobs, lets in-flight jobs finish
//! within `jobs.shutdown_grace_secs` and exits 0.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use lawha_config::Config;
use lawha_jobs::registry;
use tokio_util::sync::CancellationToken;

use crate::app::{open_database, projection_runner, shutdown_signal};

/// Options of `lawha worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Queues to serve, comma-separated (admin, diagnostics…); default: every queue this binary has handlers
    /// for except admin, which `lawha serve` runs.
    #[arg(long, value_delimiter = ',')]
    pub queues: Vec<String>,
    /// Serve this process's Prometheus metrics (jobs by kind, durations, restarts) at `http://ADDR/metrics`, for
    /// Prometheus to scrape (e.g. 127.0.0.1:9465); off by default.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// Runs workers until SIGTERM/SIGINT.
pub async fn run(config: &Config, args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let db = open_database(config).await?;
    let status = db.migration_status().await.context("reading the schema version")?;
    if !status.is_current() {
        anyhow::bail!("the database schema is not current (pending {:?}): run `lawha migrate` first", status.pending);
    }
    let runner = projection_runner(config, &db);
    lawha_telemetry::metrics();
    let stop = CancellationToken::new();
    if let Some(addr) = args.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (--metrics-listen)"))?;
        let stopped = stop.clone();
        tokio::spawn(lawha_telemetry::serve_metrics(listener, async move { stopped.cancelled().await }));
    }
    let signal = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        signal.cancel();
    });
    let Some(queues) = super::connect(config, &stop).await else { return Ok(ExitCode::SUCCESS) };
    let runtime = super::runtime(config, &db, &runner, queues);
    let servable = runtime.servable_queues();
    let queues: Vec<String> = if args.queues.is_empty() {
        servable.iter().filter(|q| *q != registry::ADMIN).cloned().collect()
    } else {
        if let Some(unknown) = args.queues.iter().find(|q| !servable.contains(q)) {
            eprintln!("error: this binary serves no queue {unknown:?}; it serves: {}", servable.join(", "));
            return Ok(ExitCode::from(2));
        }
        args.queues.clone()
    };
    runtime.run(&queues, async move { stop.cancelled().await }).await?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
