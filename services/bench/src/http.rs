//! `lawha bench http`: starts this binary as a real server on a throwaway PostgreSQL database seeded with audit
//! events, then loads it with wrk (32 connections by default) and prints requests/s, p99 and the server's RSS for
//! the JSON audit page (with a token) and the pages (with a session), beside the same numbers for
//! `GET /health/live`, the trivial route through the same middleware, measured in the same run.

use std::{
    net::SocketAddr,
    process::{ExitCode, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::Args;
use lawha_config::Config;
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use lawha_store::{ChainKey, Database, DatabaseOptions};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
    process::{Child, Command},
};

use crate::common::{admin_exec, bench_token, create_database, database_url, thousands};

/// Options of `lawha bench http`.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Seconds per measured route.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Audit events seeded before the runs.
    #[arg(long, default_value_t = 5_000)]
    pub events: u64,
    /// Pages measured with a signed-in session, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "/,/audit")]
    pub pages: Vec<String>,
    /// Server where the bench creates (and drops) its throwaway database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub admin_url: String,
    /// The wrk program (Debian package `wrk`).
    #[arg(long, default_value = "wrk")]
    pub wrk: String,
}

/// One wrk run.
#[derive(Debug, Clone, Copy)]
struct Load {
    rate: f64,
    p99_ms: f64,
    errors: u64,
}

const PASSWORD: &str = "bench password, long enough";

/// Runs the HTTP benchmark.
pub async fn http(config: &Config, args: &HttpArgs) -> anyhow::Result<ExitCode> {
    if Command::new(&args.wrk).arg("--version").output().await.is_err() {
        bail!("{} not found: install wrk (Debian package `wrk`) or pass --wrk PATH", args.wrk);
    }
    let name = format!("lawha_bench_http_{}", std::process::id());
    let mut created = Vec::new();
    let result = run(config, args, &name, &mut created).await;
    for db in &created {
        if let Err(e) = admin_exec(&args.admin_url, &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")).await {
            eprintln!("warning: could not drop database {db}: {e:#}");
        }
    }
    result
}

async fn run(config: &Config, args: &HttpArgs, name: &str, created: &mut Vec<String>) -> anyhow::Result<ExitCode> {
    create_database(&args.admin_url, name, created).await?;
    let url = database_url(&args.admin_url, name);
    let dir = tempfile::tempdir()?;
    // The server gets the key as text; the events written here must be chained with the same key.
    let secret = hex::encode(config.secret_key_bytes());
    let token = seed(&secret, &url, args.events, dir.path()).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("LAWHA_ENV", "development")
        .env("LAWHA_LISTEN", addr.to_string())
        .env("LAWHA_DATABASE_URL", &url)
        .env("LAWHA_DATA_DIR", dir.path())
        .env("LAWHA_SECRET_KEY", &secret)
        .env("LAWHA_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let outcome = measure(args, addr, &token, &mut server).await;
    let _ = server.start_kill();
    let _ = server.wait().await;
    outcome
}

async fn measure(args: &HttpArgs, addr: SocketAddr, token: &str, server: &mut Child) -> anyhow::Result<ExitCode> {
    let auth = format!("Authorization: Bearer {token}");
    wait_until(addr, "/api/v1/audit?limit=1", &auth, 200).await?;
    let cookie = sign_in(addr).await?;
    let pid = server.id().context("the server exited")?;
    println!(
        "wrk: {} connections, {} threads, {} s per route; server: this binary on PostgreSQL ({} events)",
        args.connections, args.threads, args.seconds, args.events
    );
    println!("route                         req/s      × /health/live   p99 ms   errors");
    let reference = wrk(args, addr, "/health/live", None).await?;
    print_row("GET /health/live", reference, reference);
    let audit = wrk(args, addr, "/api/v1/audit?limit=50", Some(&auth)).await?;
    print_row("GET /api/v1/audit?limit=50", audit, reference);
    for page in &args.pages {
        let load = wrk(args, addr, page, Some(&format!("Cookie: {cookie}"))).await?;
        print_row(&format!("GET {page} (page)"), load, reference);
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field =
        |key: &str| status.lines().find_map(|l| l.strip_prefix(key)).map_or("?".into(), |v| v.trim().to_owned());
    println!("server memory after the runs: RSS {}, peak {}", field("VmRSS:"), field("VmHWM:"));
    Ok(ExitCode::SUCCESS)
}

fn print_row(label: &str, load: Load, reference: Load) {
    println!(
        "{label:<28} {:>8}   {:>14.2}   {:>6.2}   {:>6}",
        thousands(load.rate),
        load.rate / reference.rate,
        load.p99_ms,
        load.errors
    );
}

/// Seeds a token-holding admin and `events` audit events; returns the token.
async fn seed(secret: &str, url: &str, events: u64, data_dir: &std::path::Path) -> anyhow::Result<String> {
    let token = bench_token(url, secret, data_dir, "read").await?;
    let options = DatabaseOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
        chain_key: ChainKey::derive(secret.as_bytes()),
    };
    let db = Database::connect(url, options).await?;
    let meta = Metadata { actor: Some("system:bench".into()), ip: Some("127.0.0.1".into()), ..Metadata::default() };
    let mut written = 0;
    while written < events {
        let batch: Vec<NewEvent> = (written..events.min(written + 100))
            .map(|i| {
                let data = serde_json::json!({ "plan": format!("plan-{}", i % 17), "size_bytes": i * 1024, "note": "x".repeat(200) });
                NewEvent::new(if i % 3 == 0 { "BackupCompleted" } else { "BackupRequested" }, data, meta.clone())
            })
            .collect();
        written += batch.len() as u64;
        let stream = StreamId::parse(format!("backup_run-{}", written / 100))?;
        db.events.append(&stream, ExpectedVersion::Any, batch).await?;
    }
    db.close().await;
    Ok(token)
}

/// Polls `path` until it answers `status` (the projections have caught up), for at most a minute.
async fn wait_until(addr: SocketAddr, path: &str, header: &str, status: u16) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        if let Ok((got, _, _)) = request(addr, "GET", path, &[header], "").await
            && got == status
        {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("the server did not answer {status} on {path} within a minute");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Signs the bench user in and returns the session cookie (`name=value`).
pub(crate) async fn sign_in(addr: SocketAddr) -> anyhow::Result<String> {
    let (_, headers, body) = request(addr, "GET", "/api/v1/session", &[], "").await?;
    let cookie = set_cookie(&headers).context("no session cookie")?;
    let csrf = serde_json::from_str::<serde_json::Value>(&body)?["csrf"].as_str().unwrap_or_default().to_owned();
    let form = serde_urlencoded::to_string([("username", "bench"), ("password", PASSWORD), ("csrf", &csrf)])?;
    let cookie_header = format!("Cookie: {cookie}");
    let (status, headers, body) =
        request(addr, "POST", "/login", &[&cookie_header, "Content-Type: application/x-www-form-urlencoded"], &form)
            .await?;
    if status != 200 {
        bail!("signing in for the page runs failed with {status}: {body}");
    }
    set_cookie(&headers).context("no new session cookie at sign-in")
}

fn set_cookie(headers: &str) -> Option<String> {
    headers
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// One HTTP/1.1 request on its own connection: (status, header block, body).
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
) -> anyhow::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(text.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head.to_owned(), rest.to_owned()))
}

async fn wrk(args: &HttpArgs, addr: SocketAddr, path: &str, header: Option<&str>) -> anyhow::Result<Load> {
    let mut command = Command::new(&args.wrk);
    command
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{}s", args.seconds))
        .arg("--latency");
    if let Some(header) = header {
        command.arg("-H").arg(header);
    }
    let output = command.arg(format!("http://{addr}{path}")).output().await.context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).with_context(|| format!("unexpected wrk output for {path}:\n{text}"))
}

/// Requests/s, the 99th percentile and the non-2xx/3xx count from wrk's `--latency` output.
fn parse_wrk(text: &str) -> Option<Load> {
    let rate = text.lines().find_map(|l| l.trim().strip_prefix("Requests/sec:"))?.trim().parse().ok()?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%"))?.trim();
    let p99_ms = duration_ms(p99)?;
    let errors = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    Some(Load { rate, p99_ms, errors })
}

/// "512.00us" / "1.20ms" / "2.01s" → milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rate_p99_and_errors_from_wrk() {
        let out = "Running 10s test @ http://127.0.0.1:1/\n  Latency Distribution\n     50%  710.00us\n     99%    4.52ms\n\
                   200 requests in 1s\n  Non-2xx or 3xx responses: 3\nRequests/sec:  15234.56\nTransfer/sec: 1MB\n";
        let load = parse_wrk(out).unwrap();
        assert!((load.rate - 15234.56).abs() < 1e-6 && (load.p99_ms - 4.52).abs() < 1e-9 && load.errors == 3);
        assert_eq!(duration_ms("512.00us"), Some(0.512));
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert!(parse_wrk("garbage").is_none());
    }
}
