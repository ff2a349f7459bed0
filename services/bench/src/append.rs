//! `lawha bench append`: appends events to PostgreSQL with several writer counts and prints events/s beside the raw
//! single-row INSERT rate pgbench measures on the same server in the same run, so the numbers are comparable
//! across machines. It is a measurement, not a test: only a gap or a broken chain fails it.

use std::{
    path::PathBuf,
    process::ExitCode,
    str::FromStr as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Args;
use lawha_config::Config;
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use lawha_store::{ChainKey, ChainVerdict, Database, DatabaseOptions, EventStore, verify_chain};
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

use crate::common::{admin_exec, create_database, database_url, settle, thousands};

/// Options of `lawha bench append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Events appended per writer count (the writers share them).
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
    /// Numbers of concurrent writers, one run each, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub writers: Vec<u64>,
    /// Server where the bench creates (and drops) its own throwaway databases; the configured database is
    /// never touched. pgbench and psql use its host, port and user (a password comes from PGPASSWORD or ~/.pgpass).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub admin_url: String,
    /// Folder holding the pgbench reference scripts: schema.sql, free.sql, serial.sql.
    #[arg(long, default_value = "../shared/bench/pg")]
    pub pgbench_dir: PathBuf,
    /// Duration of each pgbench run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Skip the pgbench reference (the ratio columns then show "-").
    #[arg(long)]
    pub no_reference: bool,
    /// Independent stores (each with its own appender and pool, as separate processes have) the writers are
    /// spread over: more than 1 measures appends from several processes at once, which contend for the lock.
    #[arg(long, default_value_t = 1)]
    pub stores: u64,
}

/// Clients of the pgbench reference; the same as the largest default writer count.
const PGBENCH_CLIENTS: u32 = 32;

/// The pgbench rates: unconstrained single-row INSERTs and the naive serialized append (global lock, MAX+1).
#[derive(Debug, Clone, Copy)]
struct Reference {
    free: f64,
    serial: f64,
}

/// What one writer-count run measured and checked.
#[derive(Debug)]
struct Run {
    rate: f64,
    gap_free: bool,
    chain: bool,
    /// Transactions the appender committed per second, and events each carried on average (group commit at work).
    commits_per_s: f64,
    events_per_commit: f64,
    /// Batches decided ahead of the lock that had to be decided again under it (their head had moved), and
    /// batches sent a second time because they reached the lock before the batch they were decided on top of.
    redone: f64,
    again: f64,
}

/// Runs the append benchmark.
pub async fn append(config: &Config, args: &AppendArgs) -> anyhow::Result<ExitCode> {
    if args.events == 0 || args.writers.contains(&0) {
        bail!("--events and every --writers count must be at least 1");
    }
    let key = ChainKey::derive(config.secret_key_bytes());
    // The batch-size histogram is only recorded once a recorder exists.
    lawha_telemetry::metrics();
    let pid = std::process::id();
    let mut created = Vec::new();
    let result = run_all(args, &key, pid, &mut created).await;
    for name in &created {
        if let Err(e) = admin_exec(&args.admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await {
            eprintln!("warning: could not drop database {name}: {e:#}");
        }
    }
    result
}

async fn run_all(args: &AppendArgs, key: &ChainKey, pid: u32, created: &mut Vec<String>) -> anyhow::Result<ExitCode> {
    let reference = if args.no_reference {
        println!("reference: skipped (--no-reference)");
        None
    } else {
        let name = format!("lawha_bench_ref_{pid}");
        create_database(&args.admin_url, &name, created).await?;
        let r = reference(args, &name).await?;
        println!(
            "reference (pgbench, {PGBENCH_CLIENTS} clients, {} s): free INSERT {} rows/s; naive serialized {} rows/s",
            args.seconds,
            thousands(r.free),
            thousands(r.serial)
        );
        Some(r)
    };
    // Without autovacuum the fresh bench tables are never analyzed, so plans made while they were empty stay in use.
    if admin_exec(&args.admin_url, "SELECT current_setting('autovacuum')").await? != "on" {
        eprintln!("warning: autovacuum is off on this server: the bench tables get no statistics while they grow");
    }
    println!(
        "writers   events/s   × raw INSERT   × naive   gap-free  chain   commits/s   events/commit   redone   again"
    );
    let mut failed = false;
    for &writers in &args.writers {
        let name = format!("lawha_bench_{pid}_{writers}");
        create_database(&args.admin_url, &name, created).await?;
        settle(&args.admin_url).await;
        let run = run_writers(&database_url(&args.admin_url, &name), key, args.events, writers, args.stores).await?;
        failed |= !(run.gap_free && run.chain);
        let ratio = |base: Option<f64>| base.map_or_else(|| "-".to_owned(), |b| format!("{:.2}", run.rate / b));
        let mark = |ok: bool| if ok { "✓" } else { "✗" };
        println!(
            "{writers:>7}  {:>9}  {:>13}  {:>8}     {}         {}   {:>9}   {:>13.1}   {:>6}   {:>5}",
            thousands(run.rate),
            ratio(reference.map(|r| r.free)),
            ratio(reference.map(|r| r.serial)),
            mark(run.gap_free),
            mark(run.chain),
            thousands(run.commits_per_s),
            run.events_per_commit,
            run.redone,
            run.again,
        );
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Appends `events` events with `writers` tasks to a fresh database, then checks positions and the chain.
#[allow(clippy::cast_precision_loss)] // event counts are far below 2^52
async fn run_writers(url: &str, key: &ChainKey, events: u64, writers: u64, stores: u64) -> anyhow::Result<Run> {
    let options =
        DatabaseOptions { max_connections: 10, acquire_timeout: Duration::from_secs(30), chain_key: key.clone() };
    let db = Database::connect(url, options.clone()).await.with_context(|| format!("connecting to {url}"))?;
    db.migrate().await.context("migrating the bench database")?;
    let mut others = Vec::new();
    for _ in 1..stores.max(1) {
        others.push(Database::connect(url, options.clone()).await?);
    }
    let all: Vec<Arc<dyn EventStore>> =
        std::iter::once(Arc::clone(&db.events)).chain(others.iter().map(|d| Arc::clone(&d.events))).collect();
    let commits_before = metric("lawha_append_batch_requests_count");
    let redone_before = metric("lawha_append_redecided_total");
    let again_before = metric("lawha_append_sent_again_total");
    // Writers claim event numbers from one counter, so together they append exactly `events`, whatever their speed.
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..writers {
        let store = Arc::clone(&all[usize::try_from(writer).unwrap_or(0) % all.len()]);
        let next = Arc::clone(&next);
        tasks.spawn(async move { write_events(store.as_ref(), &next, events).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a writer task panicked")??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let commits = (metric("lawha_append_batch_requests_count") - commits_before).max(1.0);
    let redone = metric("lawha_append_redecided_total") - redone_before;
    let again = metric("lawha_append_sent_again_total") - again_before;
    let pool = db.pg_pool().context("the bench database is not PostgreSQL")?;
    let (count, min, max): (i64, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT count(*), min(position), max(position) FROM events").fetch_one(pool).await?;
    let expected = i64::try_from(events)?;
    let gap_free = count == expected && min == Some(1) && max == Some(expected);
    if !gap_free {
        eprintln!("{writers} writers: expected positions 1..={expected}, found {count} rows in {min:?}..={max:?}");
    }
    let chain = match verify_chain(db.events.as_ref(), key).await.context("verifying the chain")? {
        ChainVerdict::Intact { events: n, .. } if n == expected => true,
        verdict => {
            eprintln!("{writers} writers: chain check failed: {verdict:?}");
            false
        }
    };
    for other in &others {
        other.close().await;
    }
    db.close().await;
    let (events, commits_per_s) = (events as f64, commits / elapsed);
    Ok(Run {
        rate: events / elapsed,
        gap_free,
        chain,
        commits_per_s,
        events_per_commit: events / commits,
        redone,
        again,
    })
}

/// One writer: claims event numbers until all are taken, appending one event per call to a new stream.
async fn write_events(store: &dyn EventStore, next: &AtomicU64, events: u64) -> anyhow::Result<()> {
    while next.fetch_add(1, Ordering::Relaxed) < events {
        let site = Uuid::new_v4();
        let stream = StreamId::for_entity("site", site)?;
        let commit = Uuid::new_v4().simple().to_string();
        // Shaped like free.sql's row, so both sides write comparable bytes.
        let data = serde_json::json!({
            "site": format!("blog-{}", &commit[..6]), "commit": &commit[..10], "branch": "main",
            "trigger": "github", "repo": "acme/blog", "pusher": "octocat",
        });
        let metadata = Metadata {
            actor: Some("github".into()),
            ip: Some("140.82.112.1".into()),
            request_id: Some(Uuid::new_v4().to_string()),
            ..Metadata::default()
        };
        let event = NewEvent::new("DeploymentRequested", data, metadata);
        store
            .append(&stream, ExpectedVersion::Exact(0), vec![event])
            .await
            .with_context(|| format!("appending to {stream}"))?;
    }
    Ok(())
}

/// Runs pgbench twice (free.sql, serial.sql) against a database prepared with schema.sql.
async fn reference(args: &AppendArgs, db: &str) -> anyhow::Result<Reference> {
    let dir = &args.pgbench_dir;
    if let Some(file) = ["schema.sql", "free.sql", "serial.sql"].into_iter().find(|f| !dir.join(f).is_file()) {
        bail!("{} has no {file}: point --pgbench-dir at the pgbench scripts, or pass --no-reference", dir.display());
    }
    let admin = PgConnectOptions::from_str(&args.admin_url).context("--admin-url is not a PostgreSQL URL")?;
    let path = |file: &str| dir.join(file).display().to_string();
    let conn = format!("-h {} -p {} -U {}", admin.get_host(), admin.get_port(), admin.get_username());
    let conn: Vec<String> = conn.split(' ').map(str::to_owned).collect();
    let schema = ["-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", &path("schema.sql")];
    tool("psql", &conn, &schema).await?;
    let (clients, seconds) = (PGBENCH_CLIENTS.to_string(), args.seconds.to_string());
    let mut rates = [0.0; 2];
    for (rate, script) in rates.iter_mut().zip(["free.sql", "serial.sql"]) {
        let flags = ["-n", "-c", &clients, "-j", "2", "-T", &seconds, "-f", &path(script), db];
        // free.sql draws stream names at random, and on a rare run two clients draw the same one; pgbench then
        // aborts on the unique constraint. That says nothing about the rate, so such a run is simply repeated.
        let mut attempt = 1;
        settle(&args.admin_url).await;
        let out = loop {
            match tool("pgbench", &conn, &flags).await {
                Err(e) if attempt < 3 && e.to_string().contains("duplicate key") => attempt += 1,
                other => break other?,
            }
        };
        *rate = parse_tps(&out).with_context(|| format!("no tps line in pgbench's output for {script}:\n{out}"))?;
    }
    Ok(Reference { free: rates[0], serial: rates[1] })
}

/// Runs a PostgreSQL client tool and returns its stdout, or fails with its stderr.
async fn tool(program: &str, conn: &[String], args: &[&str]) -> anyhow::Result<String> {
    let output = match tokio::process::Command::new(program).args(conn).args(args).output().await {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{program} not found on PATH: install the postgresql-client package, or pass --no-reference")
        }
        other => other.with_context(|| format!("running {program}"))?,
    };
    if !output.status.success() {
        bail!("{program} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The rate pgbench prints: `tps = X (without initial connection time)` since PostgreSQL 14,
/// `tps = X (excluding connections establishing)` before.
fn parse_tps(output: &str) -> Option<f64> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("tps = ")?;
        let (number, note) = rest.split_once(' ')?;
        let wanted = note.contains("without initial connection time") || note.contains("excluding connections");
        wanted.then(|| number.parse().ok()).flatten()
    })
}

/// A counter of the store, 0 until first recorded: `lawha_append_batch_requests_count` counts append batches, i.e.
/// commits; `lawha_append_redecided_total` and `lawha_append_sent_again_total` count the pipeline's second tries.
fn metric(name: &str) -> f64 {
    let prefix = format!("{name} ");
    lawha_telemetry::render_metrics()
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tps_of_current_and_older_pgbench() {
        let current = "number of failed transactions: 0 (0.000%)\nlatency average = 3.472 ms\n\
                       initial connection time = 114.371 ms\ntps = 9215.555655 (without initial connection time)\n";
        assert_eq!(parse_tps(current), Some(9215.555655));
        let older =
            "tps = 1200.5 (including connections establishing)\ntps = 1234.5 (excluding connections establishing)\n";
        assert_eq!(parse_tps(older), Some(1234.5));
        assert_eq!(parse_tps("pgbench: error: connection refused\n"), None);
        assert_eq!(parse_tps("tps = many (without initial connection time)"), None);
    }
}
