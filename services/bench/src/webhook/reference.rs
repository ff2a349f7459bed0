//! The reference receiver of `lawha bench webhook`: `flask_webhook.py` (Flask under gunicorn: HMAC check with
//! `hmac.compare_digest`, an INSERT committed to PostgreSQL, a Celery `.delay()` on Redis, 202) on a throwaway
//! database of its own on the same server, with the same Redis, in the Python of `target/venv`.

use std::{
    net::SocketAddr,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use sqlx::{Connection as _, PgConnection};
use tokio::process::{Child, Command};

use crate::{
    common::{create_database, database_url, python_with},
    http::request,
};

/// What the reference runs on, installed into `target/venv` when missing.
const PACKAGES: [&str; 4] = ["flask>=3,<4", "gunicorn>=22,<24", "psycopg[binary]>=3.1,<4", "celery[redis]>=5,<6"];
const MODULES: [&str; 5] = ["flask", "gunicorn", "psycopg", "celery", "redis"];

const TABLE: &str = "CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    hook_id BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    site TEXT NOT NULL,
    event TEXT NOT NULL,
    after TEXT NOT NULL,
    pusher TEXT,
    deployment_id UUID NOT NULL,
    payload JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (hook_id, delivery_id))";

/// How gunicorn runs the app.
pub struct Gunicorn {
    /// Worker processes.
    pub workers: usize,
    /// Threads per worker: 1 is gunicorn's default `sync` worker, more the `gthread` one.
    pub threads: usize,
}

/// The running reference.
pub struct Reference {
    child: Child,
    /// Where gunicorn listens.
    pub addr: SocketAddr,
    url: String,
    broker: String,
    queue: String,
    log: tempfile::NamedTempFile,
}

impl Reference {
    /// Installs what is missing, creates database `name` and its table, and starts gunicorn taking pushes to
    /// `branch` signed with `secret`.
    pub async fn start(
        admin_url: &str,
        redis_url: &str,
        name: &str,
        created: &mut Vec<String>,
        secret: &str,
        branch: &str,
        gunicorn: &Gunicorn,
    ) -> anyhow::Result<Self> {
        let python = python_with(&PACKAGES, &MODULES).await.context("installing the Flask reference")?;
        create_database(admin_url, name, created).await?;
        let url = database_url(admin_url, name);
        let mut conn = PgConnection::connect(&url).await?;
        sqlx::raw_sql(TABLE).execute(&mut conn).await?;
        conn.close().await?;
        let addr = SocketAddr::from(([127, 0, 0, 1], super::stage::free_port()?));
        let broker = format!("{}/15", redis_url.trim_end_matches('/'));
        let queue = name.to_owned();
        let log = tempfile::NamedTempFile::new()?;
        let class = if gunicorn.threads > 1 { "gthread" } else { "sync" };
        let child = Command::new(&python)
            .args(["-m", "gunicorn", "--chdir", env!("CARGO_MANIFEST_DIR"), "--worker-class", class])
            .args(["--workers", &gunicorn.workers.to_string(), "--threads", &gunicorn.threads.to_string()])
            .args(["--bind", &addr.to_string(), "--log-level", "warning", "flask_webhook:app"])
            .env("WEBHOOK_SECRET", secret)
            .env("WEBHOOK_BRANCH", branch)
            .env("DATABASE_URL", &url)
            .env("BROKER_URL", &broker)
            .env("QUEUE", &queue)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen()?)
            .kill_on_drop(true)
            .spawn()
            .context("starting gunicorn")?;
        let mut reference = Self { child, addr, url, broker, queue, log };
        reference.ready().await?;
        Ok(reference)
    }

    /// Waits until gunicorn answers (an unsigned delivery: 401).
    async fn ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("gunicorn exited at start ({status}): {}", self.log_tail());
            }
            if request(self.addr, "POST", "/webhooks/github/x", &[], "{}").await.is_ok_and(|(s, _, _)| s == 401) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("gunicorn did not answer within a minute: {}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The end of what gunicorn and the app wrote (a traceback when a request failed).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// (rows in `deliveries`, messages waiting in the Celery queue).
    pub async fn recorded(&self) -> anyhow::Result<(i64, i64)> {
        let mut conn = PgConnection::connect(&self.url).await?;
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(&mut conn).await?;
        conn.close().await?;
        let mut redis = redis::Client::open(self.broker.as_str())?.get_multiplexed_async_connection().await?;
        let queued: i64 = redis::cmd("LLEN").arg(&self.queue).query_async(&mut redis).await?;
        Ok((rows, queued))
    }

    /// Stops gunicorn (SIGTERM: its workers end with it) and removes the Celery queue.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
            let _ = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
        }
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        let forget = async {
            let mut redis = redis::Client::open(self.broker.as_str())?.get_multiplexed_async_connection().await?;
            let keys = [self.queue.clone(), format!("_kombu.binding.{}", self.queue)];
            redis::cmd("DEL").arg(&keys).query_async::<i64>(&mut redis).await
        };
        if let Err(e) = forget.await {
            eprintln!("warning: could not remove the reference's Celery queue {}: {e:#}", self.queue);
        }
    }
}
