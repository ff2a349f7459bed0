//! `lawha bench …`: the benchmarks, each printing its figures beside a reference measured in the same run on the
//! same machine (pgbench, wrk against `/health/live`, Celery, a shell pipeline and restic), so a figure means the
//! same on any machine. They are measurements, never tests: they fail only when something they run fails.
//!
//! A crate of its own so the panel's library does not carry what only the benchmarks need (Redis and HTTP
//! clients, process measurement). It uses the panel the way an operator does: it starts this very binary
//! (`serve`, `worker`, `admin create-user`, `admin create-token`) and talks to it over HTTP, so the `lawha`
//! package depends on this crate and never the other way round.
//!
//! Code map: `append.rs` (`bench append`), `http.rs` (`bench http`), `jobs/` (`bench jobs`, its Celery reference
//! in `celery_noop.py`), `backup/` (`bench backup` and its contenders), `webhook/` (`bench webhook`, its Flask
//! reference in `flask_webhook.py`, and `stage`: nginx, git and a python3 app for real deployments, which the
//! panel's end-to-end deployment test uses too), `common.rs` (throwaway databases, the bench's token, the
//! references' Python in `target/venv`, number formats).

mod append;
mod backup;
mod common;
mod http;
mod jobs;
mod webhook;

use std::process::ExitCode;

use clap::Subcommand;
use lawha_config::Config;

pub use append::AppendArgs;
pub use backup::{BackupArgs, ChildArgs};
pub use http::HttpArgs;
pub use jobs::JobsArgs;
pub use webhook::{WebhookArgs, stage};

/// `lawha bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Append events to PostgreSQL with 1, 8 and 32 writers and print events/s beside pgbench's raw
    /// single-row INSERT rate measured in the same run.
    Append(append::AppendArgs),
    /// Load the API and pages with wrk (a real server on a throwaway PostgreSQL database) and print requests/s,
    /// p99 and the server's RSS beside `GET /health/live` measured in the same run.
    Http(http::HttpArgs),
    /// Run no-op jobs end to end (API, dispatcher, Redis, worker processes) and print jobs/s and request→start
    /// latency, beside Celery 5 with 2 prefork workers on the same Redis measured in the same run.
    Jobs(jobs::JobsArgs),
    /// Back up a generated folder (1 GiB, half text-like, half random binary) with Lawha's engine, every
    /// guarantee on, and print MB/s and peak RSS beside `tar | zstd -T0 | tee | sha256sum` and `restic backup`
    /// into a fresh repository, measured in the same run on the same file system (needs restic and zstd).
    Backup(backup::BackupArgs),
    /// Load GitHub's webhook with signed ~2 KB push deliveries (32 keep-alive connections) and print accepted/s,
    /// p50/p99 and whether every accepted delivery was recorded, beside a Flask + gunicorn receiver (HMAC check,
    /// INSERT, Celery enqueue) on the same PostgreSQL and Redis measured in the same run (installed into
    /// target/venv when missing); then deploy a python3 app through a real nginx under load and print the
    /// blue-green switch time (health gate passed → first request served by the new colour) and the failed
    /// requests. Needs nginx (LAWHA_TEST_NGINX or --nginx, default /usr/sbin/nginx), git and python3.
    Webhook(webhook::WebhookArgs),
    /// One backup for `lawha bench backup`, in a process of its own so that its peak RSS is the backup's alone.
    #[command(hide = true, name = "backup-child")]
    BackupChild(backup::ChildArgs),
}

/// Runs one benchmark with the panel's configuration (the secret key the processes it starts are given).
pub async fn run(config: &Config, command: &BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Append(args) => append::append(config, args).await,
        BenchCommand::Http(args) => http::http(config, args).await,
        BenchCommand::Jobs(args) => jobs::jobs(config, args).await,
        BenchCommand::Webhook(args) => webhook::webhook(config, args).await,
        BenchCommand::Backup(args) => backup::backup(config, args),
        BenchCommand::BackupChild(args) => backup::child(config, args),
    }
}
