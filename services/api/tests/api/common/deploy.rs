//! What the deployment tests share (`deploy_e2e`, `deploy_kill`): the stage of `lawha_bench::stage` (a git
//! repository served by `file://` whose commits hold a python3 app answering its version, and a real nginx in
//! its own prefix proxying the site's upstream file, both stopped with the stage), the panel with the site `shop`
//! created through the API, signed pushes, and waiting for a deployment to end.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use hmac::{Hmac, KeyInit, Mac};
use lawha_bench::stage::Stage;
use lawha_config::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use super::TestApp;
use crate::backups::{Caller, call, signed_in_admin};

/// nginx, from `LAWHA_TEST_NGINX` or Debian's path. Tests receive no `Config`, so this reads the process
/// environment directly, as the browser tests' harness does.
#[allow(clippy::disallowed_methods)]
fn nginx_binary() -> PathBuf {
    PathBuf::from(std::env::var("LAWHA_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned()))
}

/// Commits `version` (and a build script that fails when `build_fails`); returns the commit.
pub fn commit(stage: &Stage, version: &str, build_fails: bool) -> String {
    let build = if build_fails { "echo 'the build is broken' >&2\nexit 1\n" } else { "test -f app.py\n" };
    stage.commit(version, build).unwrap()
}

/// Who works the `deployments` queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// The panel, in-process, with every other queue.
    InProcess,
    /// A `lawha-deploy-worker` process the test starts; the panel works no queue but dispatches.
    Apart,
}

/// One site's world: the stage (repository, app, nginx), the panel and the site.
pub struct World {
    /// The repository, nginx and the ports; its folder holds `releases/`, `state/` and `upstreams/`.
    pub stage: Stage,
    app: Option<TestApp>,
    /// A signed-in admin of the panel.
    pub admin: Caller,
    /// The site's id.
    pub site_id: String,
    secret: String,
    _db: lawha_store::testkit::TestDb,
}

impl World {
    /// nginx, the panel and the site `shop` (process runtime, health path `/`, 1 s of drain, 20 s to be
    /// healthy).
    pub async fn start(workers: Workers) -> Self {
        let stage = Stage::start(&nginx_binary(), "shop").unwrap_or_else(|e| panic!("{e:#}"));
        let db = super::postgres().await;
        let (mut config, data) = super::config(&db.url);
        config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
        config.jobs.namespace = lawha_jobs::testkit::namespace();
        let (releases, state, upstreams) = stage.deploy_dirs();
        let deployments = &mut config.deployments;
        deployments.releases_dir = releases;
        deployments.state_dir = state;
        deployments.nginx_upstream_dir = upstreams;
        deployments.nginx_test_command = stage.nginx_command(&["-t"]);
        deployments.nginx_reload_command = stage.nginx_command(&["-s", "reload"]);
        deployments.drain_secs = 1;
        deployments.health_deadline_secs = 20;
        let config = if workers == Workers::InProcess { super::with_workers(config) } else { config };
        let app = super::spawn_with(config, data, axum::Router::new()).await;
        let admin = signed_in_admin(&app).await;
        let [blue, green] = stage.ports;
        let site = json!({
            "name": "shop", "repository": format!("file://{}", stage.repo.display()), "branch": "main",
            "runtime": "process", "build_command": "sh build.sh", "start_command": "exec python3 app.py --port $PORT",
            "health_path": "/", "ports": { "blue": blue, "green": green }, "releases_to_keep": 5,
        });
        let (status, created) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let site_id = created["id"].as_str().unwrap().to_owned();
        let secret = created["webhook_secret"].as_str().unwrap().to_owned();
        Self { stage, app: Some(app), admin, site_id, secret, _db: db }
    }

    /// The panel.
    pub fn app(&self) -> &TestApp {
        self.app.as_ref().expect("the panel runs")
    }

    /// A signed push of `commit` to main: the deployment's id.
    pub async fn push(&self, delivery: &str, commit: &str) -> String {
        let body = serde_json::to_vec(&json!({
            "ref": "refs/heads/main", "after": commit, "deleted": false,
            "head_commit": { "id": commit }, "pusher": { "name": "amira" },
        }))
        .unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.as_bytes()).unwrap();
        mac.update(&body);
        let app = self.app();
        let response = app
            .client
            .post(app.url(&format!("/webhooks/github/{}", self.site_id)))
            .header("x-github-event", "push")
            .header("x-github-delivery", delivery)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let answer: Value = response.json().await.unwrap();
        answer["deployment_id"].as_str().unwrap().to_owned()
    }

    /// Waits up to `limit` for a deployment to end; its view.
    pub async fn ended_within(&self, id: &str, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            let (status, view) =
                call(self.app(), &self.admin, Method::GET, &format!("/api/v1/deployments/{id}"), None).await;
            if status == StatusCode::OK && (view["status"] == "succeeded" || view["status"] == "failed") {
                return view;
            }
            assert!(started.elapsed() < limit, "deployment {id} did not end within {limit:?}: {view}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits up to two minutes for a deployment to end; its view.
    pub async fn ended(&self, id: &str) -> Value {
        self.ended_within(id, Duration::from_secs(120)).await
    }

    /// What nginx answers.
    pub async fn serves(&self) -> String {
        let port = self.stage.port;
        answer(port).await.unwrap_or_else(|e| panic!("nginx on {port} did not answer: {e}"))
    }

    /// Stops the panel.
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await.unwrap();
        }
    }
}

/// What `GET http://127.0.0.1:<port>/` answers, or why nothing did.
pub async fn answer(port: u16) -> Result<String, String> {
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    let response = client.get(format!("http://127.0.0.1:{port}/")).send().await.map_err(|e| format!("{e:?}"))?;
    response.text().await.map_err(|e| format!("{e:?}"))
}
