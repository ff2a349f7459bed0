//! Deployments end to end through the panel, with real parts: a git repository made here and served by
//! `file://`, a python3 app started by the `process` runtime on the idle colour, and a real nginx in its own
//! prefix whose upstream file the deploy worker (in-process) switches. A signed push deploys exactly its commit
//! and nginx serves it; the next push goes to the other colour under continuous load through nginx with no
//! failed request; a rollback serves the first release again without a rebuild; a failing build leaves the
//! live version serving and the deployment names the step.

use crate::common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use hmac::{Hmac, KeyInit, Mac};
use lawha_config::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::backups::{Caller, call, signed_in_admin};

const APP: &str = r#"import http.server, os
VERSION = open("VERSION").read().strip()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = VERSION.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

const NGINX: &str = "worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    upstream shop { include {d}/upstreams/shop.upstream.conf; }
    server { listen 127.0.0.1:{port}; location / { proxy_pass http://shop; } }
}
";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx, from `LAWHA_TEST_NGINX` or Debian's path. Tests receive no `Config`, so this reads the process
/// environment directly, as the browser tests' harness does.
#[allow(clippy::disallowed_methods)]
fn nginx_binary() -> PathBuf {
    let path = PathBuf::from(std::env::var("LAWHA_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned()));
    assert!(
        path.exists(),
        "these tests need nginx at {}: apt-get install nginx, or set LAWHA_TEST_NGINX",
        path.display()
    );
    path
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Lawha", "-c", "user.email=lawha@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(repo)
        .output()
        .expect("these tests need git: apt-get install git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Commits `version` (and a build script that fails when `build_fails`); returns the commit.
fn commit(repo: &Path, version: &str, build_fails: bool) -> String {
    commit_with(
        repo,
        version,
        if build_fails { "echo 'the build is broken' >&2\nexit 1\n" } else { "test -f app.py\n" },
    )
}

/// Commits `version` with `build` as its build script; returns the commit.
fn commit_with(repo: &Path, version: &str, build: &str) -> String {
    std::fs::write(repo.join("VERSION"), version).unwrap();
    std::fs::write(repo.join("app.py"), APP).unwrap();
    std::fs::write(repo.join("build.sh"), build).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", version]);
    git(repo, &["rev-parse", "HEAD"])
}

struct World {
    dir: tempfile::TempDir,
    repo: PathBuf,
    nginx: Vec<String>,
    port: u16,
    app: Option<common::TestApp>,
    admin: Caller,
    site_id: String,
    secret: String,
    _db: lawha_store::testkit::TestDb,
}

impl World {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_owned();
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["tmp", "upstreams", "repo"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let repo = d.join("repo");
        git(&repo, &["init", "-q"]);
        let ports = [free_port(), free_port()];
        std::fs::write(d.join("upstreams/shop.upstream.conf"), format!("server 127.0.0.1:{};\n", ports[0])).unwrap();
        let port = free_port();
        let conf = d.join("nginx.conf");
        std::fs::write(&conf, NGINX.replace("{d}", &d.display().to_string()).replace("{port}", &port.to_string()))
            .unwrap();
        let binary = nginx_binary().display().to_string();
        let base: Vec<String> = [binary.as_str(), "-p", &d.display().to_string(), "-c", &conf.display().to_string()]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let out = Command::new(&base[0]).args(&base[1..]).output().unwrap();
        assert!(out.status.success(), "nginx did not start: {}", String::from_utf8_lossy(&out.stderr));

        let db = common::postgres().await;
        let (mut config, data) = common::config(&db.url);
        config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
        config.jobs.namespace = lawha_jobs::testkit::namespace();
        let deployments = &mut config.deployments;
        deployments.releases_dir = d.join("releases");
        deployments.state_dir = d.join("state");
        deployments.nginx_upstream_dir = d.join("upstreams");
        deployments.nginx_test_command = [base.clone(), vec!["-t".into()]].concat();
        deployments.nginx_reload_command = [base.clone(), vec!["-s".into(), "reload".into()]].concat();
        deployments.drain_secs = 1;
        deployments.health_deadline_secs = 20;
        let app = common::spawn_with(common::with_workers(config), data, axum::Router::new()).await;
        let admin = signed_in_admin(&app).await;
        let site = json!({
            "name": "shop", "repository": format!("file://{}", repo.display()), "branch": "main",
            "runtime": "process", "build_command": "sh build.sh", "start_command": "exec python3 app.py --port $PORT",
            "health_path": "/", "ports": { "blue": ports[0], "green": ports[1] }, "releases_to_keep": 5,
        });
        let (status, created) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let site_id = created["id"].as_str().unwrap().to_owned();
        let secret = created["webhook_secret"].as_str().unwrap().to_owned();
        Self { dir, repo, nginx: base, port, app: Some(app), admin, site_id, secret, _db: db }
    }

    fn app(&self) -> &common::TestApp {
        self.app.as_ref().expect("the panel runs")
    }

    /// A signed push of `commit` to main: the deployment's id.
    async fn push(&self, delivery: &str, commit: &str) -> String {
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

    /// Waits for a deployment to end; its view.
    async fn ended(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let (status, view) =
                call(self.app(), &self.admin, Method::GET, &format!("/api/v1/deployments/{id}"), None).await;
            if status == StatusCode::OK && (view["status"] == "succeeded" || view["status"] == "failed") {
                return view;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "deployment {id} did not end: {view}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn serves(&self) -> String {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!("http://127.0.0.1:{}/", self.port);
        client.get(url).send().await.unwrap().text().await.unwrap()
    }

    async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await.unwrap();
        }
    }
}

impl Drop for World {
    /// nginx and the apps the worker started outlive the test unless stopped, also when it fails.
    fn drop(&mut self) {
        let _ = Command::new(&self.nginx[0]).args(&self.nginx[1..]).args(["-s", "stop"]).output();
        for colour in ["blue", "green"] {
            let pid_file = self.dir.path().join("state").join("shop").join(format!("{colour}.pid"));
            if let Ok(pid) = std::fs::read_to_string(pid_file) {
                let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", pid.trim())]).output();
            }
        }
    }
}

/// Requests through nginx from 4 clients, a new connection each, until stopped: (answered, failed).
fn load(port: u16, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(u64, u64, Vec<String>)> {
    tokio::spawn(async move {
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let (ok, failed, errors, stop) = (ok.clone(), failed.clone(), errors.clone(), stop.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        match client.get(format!("http://127.0.0.1:{port}/")).send().await {
                            Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                            other => {
                                errors.lock().unwrap().push(format!("{other:?}"));
                                failed.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        let errors = errors.lock().unwrap().clone();
        (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed), errors)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_deploys_its_commit_switches_colours_under_load_rolls_back_and_survives_a_failing_build() {
    let world = World::start().await;
    let v1 = commit(&world.repo, "v1", false);
    let first = world.push("d-1", &v1).await;
    let view = world.ended(&first).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(view["commit"], v1.as_str());
    let log = format!("/api/v1/jobs/{}/log", view["job_id"].as_str().expect("the deployment names its job"));
    let (status, lines) = call(world.app(), &world.admin, Method::GET, &log, None).await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert!(lines.to_string().contains("deploy.switched"), "the job's log shows the steps: {lines}");
    // nginx's reload is asynchronous: before this first release nothing served, so its old workers answer 502
    // for the few milliseconds they last. Later switches keep the old colour running through the drain.
    let served =
        common::eventually(Duration::from_secs(5), "nginx to serve v1", || async { world.serves().await == "v1" });
    served.await;

    // The second push, under continuous load through nginx: not one request fails.
    let v2 = commit(&world.repo, "v2", false);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let loader = load(world.port, stop.clone());
    let second = world.push("d-2", &v2).await;
    let view = world.ended(&second).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (answered, failed, errors) = loader.await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = answered as f64 / seconds;
    println!("deploy under load: {answered} requests in {seconds:.1} s ({rate:.0}/s), {failed} failed");
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(failed, 0, "requests failed during the switch: {errors:?}");
    assert_eq!(world.serves().await, "v2");
    assert_ne!(view["colour"], Value::Null);

    // Roll back to the first release, under load too: no rebuild, v1 again.
    let (_, releases) =
        call(world.app(), &world.admin, Method::GET, &format!("/api/v1/sites/{}/releases", world.site_id), None).await;
    let release = releases["releases"].as_array().unwrap().iter().find(|r| r["commit"] == v1.as_str()).unwrap().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let loader = load(world.port, stop.clone());
    let path = format!("/api/v1/sites/{}/rollback", world.site_id);
    let (status, accepted) =
        call(world.app(), &world.admin, Method::POST, &path, Some(json!({ "release_id": release["release_id"] })))
            .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let view = world.ended(accepted["deployment_id"].as_str().unwrap()).await;
    stop.store(true, Ordering::Relaxed);
    let (answered, failed, errors) = loader.await.unwrap();
    println!("rollback under load: {answered} requests, {failed} failed");
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(failed, 0, "requests failed during the rollback: {errors:?}");
    assert_eq!(world.serves().await, "v1");

    // A failing build: the deployment names the step and v1 keeps serving.
    let v3 = commit(&world.repo, "v3", true);
    let third = world.push("d-3", &v3).await;
    let view = world.ended(&third).await;
    assert_eq!((view["status"].as_str(), view["failed_step"].as_str()), (Some("failed"), Some("build")), "{view}");
    assert!(view["log_tail"].as_str().unwrap_or_default().contains("the build is broken"), "{view}");
    assert_eq!(world.serves().await, "v1");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_during_a_deployment_make_one_follow_up_that_deploys_the_newest_commit() {
    let world = World::start().await;
    // The first release builds slowly, so the next pushes arrive while it runs.
    let v1 = commit_with(&world.repo, "v1", "sleep 3\n");
    let first = world.push("c-1", &v1).await;
    let mut follow_ups = Vec::new();
    for (i, version) in ["v2", "v3", "v4"].into_iter().enumerate() {
        let commit = commit(&world.repo, version, false);
        let id = world.push(&format!("c-{}", i + 2), &commit).await;
        // The webhook answers once the read model shows the deployment it asked for, so the next push sees it.
        let path = format!("/api/v1/deployments/{id}");
        let (status, view) = call(world.app(), &world.admin, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        follow_ups.push(id);
    }
    assert!(follow_ups.iter().all(|id| *id == follow_ups[0]), "one follow-up: {follow_ups:?}");
    assert_ne!(follow_ups[0], first);
    let newest = git(&world.repo, &["rev-parse", "HEAD"]);
    let view = world.ended(&first).await;
    assert_eq!((view["status"].as_str(), view["commit"].as_str()), (Some("succeeded"), Some(v1.as_str())), "{view}");
    let view = world.ended(&follow_ups[0]).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(view["commit"], newest.as_str(), "the follow-up deploys the newest commit");
    let (_, list) =
        call(world.app(), &world.admin, Method::GET, &format!("/api/v1/sites/{}/deployments", world.site_id), None)
            .await;
    assert_eq!(list["deployments"].as_array().unwrap().len(), 2, "two deployments for four pushes: {list}");
    assert_eq!(world.serves().await, "v4");
    world.stop().await;
}
