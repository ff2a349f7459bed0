//! `lawha bench webhook`: GitHub's webhook and the blue-green switch.
//!
//! First part: signed ~2 KB push deliveries in GitHub's payload shape (`payload.rs`) from a fixed number of
//! keep-alive connections (`load.rs`) to this binary's `lawha serve` on PostgreSQL and Redis (`panel.rs`, no deploy
//! worker, so deployments stay requested) and, in the same run, to a reference written the way the old Flask panel
//! would (`reference.rs`, `flask_webhook.py`); rounds alternate which goes first. Afterwards the records are
//! counted: every accepted delivery must be in the database. Second part (`switch.rs`): real deployments through
//! a real nginx under load (`stage.rs`, shared with the panel's end-to-end deployment test): the switch time and
//! the failed requests.

mod load;
mod panel;
mod payload;
mod reference;
mod report;
pub mod stage;
mod switch;

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, atomic::AtomicU64},
    time::Duration,
};

use anyhow::{Context as _, bail};
use clap::Args;
use lawha_config::Config;

use crate::common::{admin_exec, settle};

/// Options of `lawha bench webhook`.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    /// Keep-alive connections each receiver is loaded with, each sending one delivery at a time.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Seconds each receiver is loaded in each round.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Rounds; the figure is the median round, and rounds alternate which receiver goes first (this shared
    /// machine's figures drift from minute to minute).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// Seconds of unmeasured load on each receiver first (connections opened, caches warm); their deliveries
    /// are counted in the durability check.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// gunicorn worker processes of the reference; by default 2 × cores + 1, gunicorn's own advice.
    #[arg(long)]
    pub reference_workers: Option<usize>,
    /// Threads per gunicorn worker: 1 is gunicorn's default `sync` worker, more its `gthread` worker.
    #[arg(long, default_value_t = 1)]
    pub reference_threads: usize,
    /// Deployments measured under load in the switch part (0 skips the part).
    #[arg(long, default_value_t = 3)]
    pub deploys: u32,
    /// Clients asking nginx for `/` during each deployment, a new connection per request.
    #[arg(long, default_value_t = 4)]
    pub switch_clients: usize,
    /// The nginx program the switch part runs in a prefix of its own (Debian package `nginx`).
    #[arg(long, env = "LAWHA_TEST_NGINX", default_value = "/usr/sbin/nginx")]
    pub nginx: PathBuf,
    /// Server where the bench creates (and drops) its throwaway databases: one for each panel, one for the
    /// reference.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")]
    pub admin_url: String,
    /// Redis for the panels' queues (a key namespace of the bench's own) and the reference's Celery (database 15).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Leave the bench's databases on the server when it ends (their names are printed).
    #[arg(long)]
    pub keep_database: bool,
}

/// Runs the webhook benchmark.
pub async fn webhook(config: &Config, args: &WebhookArgs) -> anyhow::Result<ExitCode> {
    if args.connections == 0 || args.seconds == 0 || args.rounds == 0 || args.switch_clients == 0 {
        bail!("--connections, --seconds, --rounds and --switch-clients must be at least 1");
    }
    if args.deploys > 0 && !args.nginx.exists() {
        bail!(
            "nginx not found at {}: apt-get install nginx, or set LAWHA_TEST_NGINX (or --nginx) to its path",
            args.nginx.display()
        );
    }
    let mut created = Vec::new();
    let result = run(config, args, &mut created).await;
    for db in &created {
        if args.keep_database {
            println!("database kept: {db}");
        } else if let Err(e) =
            admin_exec(&args.admin_url, &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).await
        {
            eprintln!("warning: could not drop database {db}: {e:#}");
        }
    }
    result
}

async fn run(config: &Config, args: &WebhookArgs, created: &mut Vec<String>) -> anyhow::Result<ExitCode> {
    // The panels get the key as text, as an operator's configuration gives it.
    let secret = hex::encode(config.secret_key_bytes());
    let pid = std::process::id();
    let receivers = receivers(args, &secret, pid, created).await?;
    report::receivers(args, &receivers);
    if args.deploys > 0 {
        let name = format!("lawha_bench_switch_{pid}");
        let switches = switch::switches(args, &secret, &name, created).await?;
        report::switches(args, &switches);
    }
    Ok(ExitCode::SUCCESS)
}

/// One receiver's figures.
pub struct Measured {
    /// Each round's load.
    pub rounds: Vec<load::Tally>,
    /// What its database holds afterwards (and, for the reference, its Celery queue), in words.
    pub records: String,
    /// Whether every accepted delivery is recorded.
    pub durable: bool,
}

/// The first part: both receivers, loaded in alternating rounds.
async fn receivers(
    args: &WebhookArgs,
    secret: &str,
    pid: u32,
    created: &mut Vec<String>,
) -> anyhow::Result<[Measured; 2]> {
    let name = format!("lawha_bench_webhook_{pid}");
    let lawha = panel::Panel::start(&args.admin_url, &args.redis_url, &name, created, secret, "admin", &[]).await?;
    let site = lawha.create_site("https://github.com/example/shop.git", "main", [18_081, 18_082]).await?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let gunicorn = reference::Gunicorn {
        workers: args.reference_workers.unwrap_or(cores * 2 + 1),
        threads: args.reference_threads.max(1),
    };
    let reference_secret = "a webhook secret of the reference, as long as GitHub's";
    let reference = reference::Reference::start(
        &args.admin_url,
        &args.redis_url,
        &format!("lawha_bench_webhook_ref_{pid}"),
        created,
        reference_secret,
        "main",
        &gunicorn,
    )
    .await;
    let reference = match reference {
        Ok(reference) => reference,
        Err(e) => {
            lawha.stop().await;
            return Err(e.context("the Flask reference did not start"));
        }
    };
    let targets = [
        (format!("http://{}{}", lawha.addr, site.webhook_path), payload::Deliveries::new("main", &site.secret, 1)),
        (
            format!("http://{}/webhooks/github/{}", reference.addr, site.id),
            payload::Deliveries::new("main", reference_secret, 2),
        ),
    ];
    report::setup(args, &gunicorn, targets[0].1.size());
    let outcome = async {
        let ([lawha_rounds, reference_rounds], accepted) = rounds(args, &targets).await?;
        let (lawha_records, lawha_durable) = report::lawha_records(&lawha.url, accepted[0]).await?;
        let (rows, queued) = reference.recorded().await.context("counting the reference's records")?;
        let reference_durable = u64::try_from(rows).ok() == Some(accepted[1]);
        let all_queued = u64::try_from(queued).ok() == Some(accepted[1]);
        let reference_records = format!(
            "{rows} rows in its table, {queued} Celery messages on Redis, for {} accepted deliveries: {}",
            accepted[1],
            if reference_durable && all_queued { "all there" } else { "MISMATCH" }
        );
        anyhow::Ok([
            Measured { rounds: lawha_rounds, records: lawha_records, durable: lawha_durable },
            Measured { rounds: reference_rounds, records: reference_records, durable: reference_durable },
        ])
    }
    .await;
    if outcome.is_err() {
        eprintln!("the reference's log ends with:\n{}", reference.log_tail());
    }
    reference.stop().await;
    lawha.stop().await;
    outcome
}

type Rounds = ([Vec<load::Tally>; 2], [u64; 2]);

/// A warm-up of each receiver, then `--rounds` rounds of both; each one's loads and accepted deliveries in all.
async fn rounds(args: &WebhookArgs, targets: &[(String, payload::Deliveries); 2]) -> anyhow::Result<Rounds> {
    let next = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let mut accepted = [0, 0];
    let mut measured: [Vec<load::Tally>; 2] = [Vec::new(), Vec::new()];
    for (i, (url, deliveries)) in targets.iter().enumerate() {
        let warm = load::run(url, deliveries, args.connections, Duration::from_secs(args.warmup), &next[i]).await?;
        accepted[i] += warm.accepted;
    }
    for round in 0..args.rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            // What the previous load left dirty is written out first, so it is not billed to this one.
            settle(&args.admin_url).await;
            let (url, deliveries) = &targets[i];
            let tally =
                load::run(url, deliveries, args.connections, Duration::from_secs(args.seconds), &next[i]).await?;
            accepted[i] += tally.accepted;
            measured[i].push(tally);
        }
        report::round(round + 1, &measured[0][round as usize], &measured[1][round as usize]);
    }
    Ok((measured, accepted))
}
