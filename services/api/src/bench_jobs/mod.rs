//! `lawha bench jobs`: the job pipeline end to end on PostgreSQL and Redis. It starts this binary as the panel
//! (API, projections, dispatcher) and as worker processes (`lawha worker --queues diagnostics`), asks for no-op
//! probe jobs through the API (`POST /api/v1/admin/probe`, the command path an operator uses) and reads the timings
//! back from the event log: jobs/s from the first request to the last `JobSucceeded`, then request→start latency
//! at a steady rate. Beside it, in the same run, Celery 5 with 2 prefork workers on the same Redis (when
//! installed) runs the same number of no-op tasks.

use std::{
    net::SocketAddr,
    process::{ExitCode, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Args;
use lawha_config::Config;
use lawha_domain::{
    Metadata,
    users::{Role, Scope},
};
use lawha_store::{ChainKey, Database, DatabaseOptions};
use tokio::process::{Child, Command};

use crate::bench::{admin_exec, create_database, database_url, thousands};

/// Options of `lawha bench jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Jobs in the throughput run.
    #[arg(long, default_value_t = 10_000)]
    pub jobs: u64,
    /// Worker processes; 0 runs the probes inside the panel's process instead (no second process appending).
    #[arg(long, default_value_t = 2)]
    pub workers: u32,
    /// Jobs each worker process runs at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: u32,
    /// Concurrent API clients asking for jobs in the throughput run.
    #[arg(long, default_value_t = 32)]
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
    if args.jobs == 0 || args.rate == 0 || args.clients == 0 {
        bail!("--jobs, --rate and --clients must be at least 1");
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
    let reference = if args.no_reference { None } else { celery(args).await };
    create_database(&args.admin_url, name, created).await?;
    let url = database_url(&args.admin_url, name);
    // The processes get the key as text; the events written here must be chained with the same key.
    let secret = hex::encode(config.secret_key_bytes());
    let options = DatabaseOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(30),
        chain_key: ChainKey::derive(secret.as_bytes()),
    };
    let db = Database::connect(&url, options).await?;
    db.migrate().await?;
    let meta = Metadata { actor: Some("system:bench".into()), ..Metadata::default() };
    crate::users::create_user(&db, "bench", Role::Admin, "bench password, long enough", &meta).await?;
    let token = crate::users::create_token(&db, "bench", "bench", vec![Scope::Admin], &meta).await?.token;
    let dir = tempfile::tempdir()?;
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
    let outcome = measure(args, addr, &token, &db, reference).await;
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

async fn measure(
    args: &JobsArgs,
    addr: SocketAddr,
    token: &str,
    db: &Database,
    reference: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let base = format!("http://{addr}");
    wait_ready(&client, &base, token).await?;
    // A warm-up job, so the workers have registered and the first measured job does not pay for it.
    ask(&client, &base, token).await?;
    wait_succeeded(db, 1, Duration::from_secs(60)).await?;
    println!(
        "pipeline: this binary as the panel and {} worker processes (concurrency {} each) on PostgreSQL and Redis",
        args.workers, args.concurrency
    );

    let start = head(db).await?;
    let asked = Instant::now();
    let client = Arc::new(client);
    let mut clients = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for _ in 0..args.clients {
        let (client, base, token, next, jobs) =
            (Arc::clone(&client), base.clone(), token.to_owned(), Arc::clone(&next), args.jobs);
        clients.spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < jobs {
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
    println!("requests: {} accepted (202) at {} requests/s by {} clients", args.jobs, thousands(asking), args.clients);
    wait_succeeded(db, args.jobs + 1, Duration::from_secs(600)).await?;
    let span: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM ( \
             (SELECT MAX(recorded_at) FROM events WHERE position > $1 AND type = 'JobSucceeded') \
           - (SELECT MIN(recorded_at) FROM events WHERE position > $1 AND type = 'ProbeRequested')))::float8",
    )
    .bind(start)
    .fetch_one(db.pg_pool().context("PostgreSQL")?)
    .await?;
    #[allow(clippy::cast_precision_loss)] // job counts are small
    let rate = args.jobs as f64 / span.max(1e-6);
    let ratio = reference.map_or_else(|| "-".to_owned(), |r| format!("{:.2}", rate / r));
    println!("throughput: {} jobs in {span:.2} s: {} jobs/s (× Celery: {ratio})", args.jobs, thousands(rate));

    let start = head(db).await?;
    let total = args.rate * args.seconds;
    let every = Duration::from_secs_f64(1.0 / f64::from(u32::try_from(args.rate).unwrap_or(u32::MAX)));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..total {
        tick.tick().await;
        let (client, base, token) = (Arc::clone(&client), base.clone(), token.to_owned());
        asks.spawn(async move { ask(&client, &base, &token).await });
    }
    while let Some(joined) = asks.join_next().await {
        joined??;
    }
    wait_succeeded(db, args.jobs + 1 + total, Duration::from_secs(300)).await?;
    let mut latencies: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (s.recorded_at - r.recorded_at)) * 1000)::float8 FROM events r \
         JOIN events s ON s.stream_id = 'job-' || r.event_id::text AND s.type = 'JobStarted' \
         WHERE r.position > $1 AND r.type = 'ProbeRequested'",
    )
    .bind(start)
    .fetch_all(db.pg_pool().context("PostgreSQL")?)
    .await?;
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or(f64::NAN)
    };
    println!(
        "latency at {} jobs/s for {} s ({} jobs): request → start p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.rate,
        args.seconds,
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks for one no-op probe through the API.
async fn ask(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
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
async fn wait_ready(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
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

async fn head(db: &Database) -> anyhow::Result<i64> {
    Ok(db.events.head().await?)
}

/// Waits until the log holds `count` `JobSucceeded` events. Counts only the ones past the last position seen, so
/// watching costs the pipeline it measures next to nothing.
async fn wait_succeeded(db: &Database, count: u64, limit: Duration) -> anyhow::Result<()> {
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

/// The Celery reference: tasks/s, or None (with the reason printed) when Celery or its script is missing.
async fn celery(args: &JobsArgs) -> Option<f64> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/celery_noop.py");
    let broker = format!("{}/15", args.redis_url.trim_end_matches('/'));
    let output = Command::new("python3").arg(&script).args(["run", &broker, &args.jobs.to_string()]).output().await;
    let text = match output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            println!(
                "reference: Celery did not run ({}); pip install 'celery[redis]>=5,<6'",
                err.lines().last().unwrap_or("").trim()
            );
            return None;
        }
        Err(e) => {
            println!("reference: python3 not found ({e})");
            return None;
        }
    };
    print!("reference: {text}");
    let rate = text.split_whitespace().rev().nth(1)?.parse().ok();
    if rate.is_none() {
        println!("reference: no rate in Celery's output");
    }
    rate
}

/// Removes every Redis key under `namespace`, so a bench leaves no queue behind (a run stores some 30,000 keys).
async fn forget_namespace(url: &str, namespace: &str) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{namespace}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("UNLINK").arg(&keys).query_async(&mut conn).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
