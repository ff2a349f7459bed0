//! `lawha bench jobs`: the job pipeline end to end on PostgreSQL and Redis. It starts this binary as the panel
//! (API, projections, dispatcher) and as worker processes (`lawha worker --queues diagnostics`), asks for no-op
//! probe jobs through the API (`POST /api/v1/admin/probe`, the command path an operator uses) and reads the timings
//! back from the event log (`measure.rs`): jobs/s from the first request to the last `JobSucceeded`, in rounds,
//! then request→start latency at a steady rate. Beside it, in the same run, Celery 5 with 2 prefork workers on the
//! same Redis (when installed) runs the same number of no-op tasks (`reference.rs`).

mod measure;
mod reference;

use std::{
    net::SocketAddr,
    process::{ExitCode, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Args;
use lawha_config::Config;
use lawha_store::{ChainKey, Database, DatabaseOptions};
use tokio::process::{Child, Command};

use crate::common::{admin_exec, bench_token, create_database, database_url, forget_namespace};

/// Options of `lawha bench jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Jobs in each throughput round.
    #[arg(long, default_value_t = 10_000)]
    pub jobs: u64,
    /// Throughput rounds; the median is the figure (runs on a shared 2-core machine vary by ±20% from hour to
    /// hour, rounds within a run by less).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// Worker processes; 0 runs the probes inside the panel's process instead (no second process appending).
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// Jobs each worker process runs at once.
    #[arg(long, default_value_t = 128)]
    pub concurrency: u32,
    /// Concurrent API clients asking for jobs in the throughput rounds: enough to keep the pipeline busy. With
    /// few, each request mostly waits its turn at the append lock the panel and the workers share, and a round
    /// measures that wait (32 clients: about 2,800 jobs/s) rather than what the pipeline can carry.
    #[arg(long, default_value_t = 128)]
    pub clients: usize,
    /// Jobs per second in the latency run.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Seconds of the latency run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Server where the bench creates (and drops) its throwaway database. Loopback without TLS by default, as a
    /// panel beside its database is set up and as the Redis of the Celery reference is reached: TLS on loopback
    /// costs this pipeline about 15% of its throughput on 2 cores.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")]
    pub admin_url: String,
    /// Redis for the queues (a key namespace of the bench's own) and for the Celery reference (database 15).
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Skip the Celery reference.
    #[arg(long)]
    pub no_reference: bool,
    /// Leave the bench's database on the server when it ends (its name is printed), to look into the events.
    #[arg(long)]
    pub keep_database: bool,
}

/// The processes of one run.
struct Processes {
    server: Child,
    workers: Vec<Child>,
}

/// Runs the job benchmark.
pub async fn jobs(config: &Config, args: &JobsArgs) -> anyhow::Result<ExitCode> {
    if args.jobs == 0 || args.rate == 0 || args.clients == 0 || args.rounds == 0 {
        bail!("--jobs, --rounds, --rate and --clients must be at least 1");
    }
    let name = format!("lawha_bench_jobs_{}", std::process::id());
    let mut created = Vec::new();
    let result = run(config, args, &name, &mut created).await;
    for db in &created {
        if args.keep_database {
            println!("database kept: {db}");
            continue;
        }
        if let Err(e) = admin_exec(&args.admin_url, &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).await {
            eprintln!("warning: could not drop database {db}: {e:#}");
        }
    }
    result
}

async fn run(config: &Config, args: &JobsArgs, name: &str, created: &mut Vec<String>) -> anyhow::Result<ExitCode> {
    let reference = if args.no_reference { None } else { reference::celery(args).await };
    create_database(&args.admin_url, name, created).await?;
    let url = database_url(&args.admin_url, name);
    // The processes get the key as text; the events written here must be chained with the same key.
    let secret = hex::encode(config.secret_key_bytes());
    let options = DatabaseOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(30),
        chain_key: ChainKey::derive(secret.as_bytes()),
    };
    let dir = tempfile::tempdir()?;
    let token = bench_token(&url, &secret, dir.path(), "admin").await?;
    let db = Database::connect(&url, options).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let namespace = format!("lawha-bench-{}", std::process::id());
    let env = |command: &mut Command| {
        command
            .env("LAWHA_ENV", "development")
            .env("LAWHA_LISTEN", addr.to_string())
            .env("LAWHA_DATABASE_URL", &url)
            .env("LAWHA_REDIS_URL", &args.redis_url)
            .env("LAWHA_DATA_DIR", dir.path())
            .env("LAWHA_SECRET_KEY", &secret)
            .env("LAWHA_JOBS__NAMESPACE", &namespace)
            .env("LAWHA_JOBS__IN_PROCESS", if args.workers == 0 { "admin,diagnostics" } else { "admin" })
            .env("LAWHA_JOBS__CONCURRENCY", args.concurrency.to_string())
            .env("LAWHA_LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true);
    };
    let exe = std::env::current_exe()?;
    let mut server = Command::new(&exe);
    env(server.arg("serve"));
    let mut processes = Processes { server: server.spawn().context("starting the server")?, workers: Vec::new() };
    for _ in 0..args.workers {
        let mut worker = Command::new(&exe);
        env(worker.args(["worker", "--queues", "diagnostics"]));
        processes.workers.push(worker.spawn().context("starting a worker")?);
    }
    let outcome = measure::measure(args, addr, &token, &db, reference).await;
    for child in processes.workers.iter_mut().chain([&mut processes.server]) {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    if let Err(e) = forget_namespace(&args.redis_url, &namespace).await {
        eprintln!("warning: could not remove the bench's Redis keys ({namespace}:*): {e:#}");
    }
    db.close().await;
    outcome
}

/// Asks for one no-op probe through the API.
pub(super) async fn ask(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let response = client
        .post(format!("{base}/api/v1/admin/probe"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .context("POST /api/v1/admin/probe")?;
    let status = response.status();
    // Read to the end, so the connection goes back to the pool instead of being closed.
    let body = response.text().await.unwrap_or_default();
    if status != reqwest::StatusCode::ACCEPTED {
        bail!("POST /api/v1/admin/probe answered {status}: {body}");
    }
    Ok(())
}

/// Waits until the server answers an authenticated request (its users projection knows the token).
pub(super) async fn wait_ready(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/api/v1/jobs?limit=1")).bearer_auth(token).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the server did not accept the bench token within a minute");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(super) async fn head(db: &Database) -> anyhow::Result<i64> {
    Ok(db.events.head().await?)
}

/// Waits until the log holds `count` `JobSucceeded` events. Counts only the ones past the last position seen, so
/// watching costs the pipeline it measures next to nothing.
pub(super) async fn wait_succeeded(db: &Database, count: u64, limit: Duration) -> anyhow::Result<()> {
    let pool = db.pg_pool().context("PostgreSQL")?;
    let started = Instant::now();
    let (mut done, mut seen) = (0i64, 0i64);
    loop {
        let (more, last): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(position) FROM events WHERE type = 'JobSucceeded' AND position > $1")
                .bind(seen)
                .fetch_one(pool)
                .await?;
        done += more;
        seen = last.unwrap_or(seen);
        if u64::try_from(done).unwrap_or(0) >= count {
            return Ok(());
        }
        if started.elapsed() > limit {
            bail!("only {done} of {count} jobs succeeded within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
