//! The Lawha panel a part of `lawha bench webhook` runs against: this binary's `lawha serve` on a throwaway
//! PostgreSQL database and a Redis key namespace of its own, with an administrator signed in (creating a site
//! needs a person, not a token) and one site created through `POST /api/v1/sites`, as an operator does.

use std::{
    net::SocketAddr,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::{
    common::{bench_token, create_database, database_url, forget_namespace},
    http::{request, sign_in},
};

/// A running panel.
pub struct Panel {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database's URL.
    pub url: String,
    /// A bearer token of the `bench` administrator, for reads.
    token: String,
    /// `Cookie: …` and `X-CSRF-Token: …` of the signed-in `bench` administrator, for commands.
    session: [String; 2],
    redis_url: String,
    namespace: String,
    _data: tempfile::TempDir,
}

/// A site the panel created: its id and its webhook's secret.
pub struct Site {
    /// The site's id.
    pub id: String,
    /// `POST` here.
    pub webhook_path: String,
    /// The webhook's secret, shown this once.
    pub secret: String,
}

impl Panel {
    /// Creates database `name` (remembered in `created` for the clean-up), starts `lawha serve` on it with
    /// `in_process` as its in-process queues and `env` besides, and signs the administrator in.
    pub async fn start(
        admin_url: &str,
        redis_url: &str,
        name: &str,
        created: &mut Vec<String>,
        secret: &str,
        in_process: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        create_database(admin_url, name, created).await?;
        let url = database_url(admin_url, name);
        let data = tempfile::tempdir()?;
        let token = bench_token(&url, secret, data.path(), "admin").await?;
        let addr = SocketAddr::from(([127, 0, 0, 1], super::stage::free_port()?));
        let namespace = name.replace('_', "-");
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("serve")
            .env("LAWHA_ENV", "development")
            .env("LAWHA_LISTEN", addr.to_string())
            .env("LAWHA_DATABASE_URL", &url)
            .env("LAWHA_REDIS_URL", redis_url)
            .env("LAWHA_DATA_DIR", data.path())
            .env("LAWHA_SECRET_KEY", secret)
            .env("LAWHA_JOBS__NAMESPACE", &namespace)
            .env("LAWHA_JOBS__IN_PROCESS", in_process)
            .env("LAWHA_LOG__LEVEL", "warn")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().context("starting the panel (lawha serve)")?;
        let mut panel = Self {
            child,
            addr,
            url,
            token,
            session: [String::new(), String::new()],
            redis_url: redis_url.to_owned(),
            namespace,
            _data: data,
        };
        panel.ready().await?;
        let cookie = sign_in(addr).await?;
        let (_, _, body) = request(addr, "GET", "/api/v1/session", &[&format!("Cookie: {cookie}")], "").await?;
        let csrf = serde_json::from_str::<Value>(&body)?["csrf"].as_str().unwrap_or_default().to_owned();
        panel.session = [format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")];
        Ok(panel)
    }

    /// Waits until the panel is ready (database and Redis reached) and knows the bench's token.
    async fn ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the panel exited at start ({status})");
            }
            let ready = request(self.addr, "GET", "/health/ready", &[], "").await.is_ok_and(|(s, _, _)| s == 200);
            if ready && self.get("/api/v1/sites").await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("the panel was not ready within a minute");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `GET path` with the token; the JSON answer, or an error naming the status.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let auth = format!("Authorization: Bearer {}", self.token);
        let (status, _, body) = request(self.addr, "GET", path, &[&auth], "").await?;
        if status != 200 {
            bail!("GET {path} answered {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// Creates the site `shop` deploying `branch` of `repository` (the process runtime; `ports` blue and green).
    pub async fn create_site(&self, repository: &str, branch: &str, ports: [u16; 2]) -> anyhow::Result<Site> {
        let site = serde_json::json!({
            "name": "shop", "repository": repository, "branch": branch, "runtime": "process",
            "build_command": "sh build.sh", "start_command": "exec python3 app.py --port $PORT", "health_path": "/",
            "ports": { "blue": ports[0], "green": ports[1] }, "releases_to_keep": 5,
        });
        let headers = [self.session[0].as_str(), self.session[1].as_str(), "Content-Type: application/json"];
        let (status, _, body) = request(self.addr, "POST", "/api/v1/sites", &headers, &site.to_string()).await?;
        if status != 201 {
            bail!("POST /api/v1/sites answered {status}: {body}");
        }
        let created: Value = serde_json::from_str(&body)?;
        let text =
            |key: &str| created[key].as_str().map(str::to_owned).with_context(|| format!("no {key} in {created}"));
        let id = text("id")?;
        Ok(Site { webhook_path: format!("/webhooks/github/{id}"), id, secret: text("webhook_secret")? })
    }

    /// Stops the panel and removes its Redis keys.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        if let Err(e) = forget_namespace(&self.redis_url, &self.namespace).await {
            eprintln!("warning: could not remove the bench's Redis keys ({}:*): {e:#}", self.namespace);
        }
    }
}
