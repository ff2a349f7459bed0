//! Hosts: two deploy workers with different host names, on one panel's PostgreSQL and Redis. Each registers its
//! host and heartbeats (`GET /api/v1/hosts`), a site may only name a known host and a runtime its host offers, and
//! each site's deployment runs on its own host's worker only: its release is built under that worker's releases
//! folder and never under the other's. A worker that stops says so.

use crate::common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use lawha_config::{Config, Secret};
use lawha_deploy_worker::host::Presence;
use lawha_jobs::{
    registry,
    runtime::{Runtime, Settings},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::backups::{Caller, call, signed_in_admin};
use crate::sites_pages::{assert_clean, html};
use lawha::ui::{Lang, t};

const APP: &str = r#"import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
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

/// One host's deploy worker, run in this process as `lawha-deploy-worker` runs it.
struct Worker {
    releases: PathBuf,
    state: PathBuf,
    presence: Presence,
    stop: CancellationToken,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Worker {
    async fn start(panel: &Config, host: &str, dir: &Path) -> Self {
        let mut config = panel.clone();
        config.deployments.host = host.to_owned();
        config.deployments.host_labels = vec![format!("zone={host}")];
        config.deployments.releases_dir = dir.join(host).join("releases");
        config.deployments.state_dir = dir.join(host).join("state");
        config.deployments.nginx_upstream_dir = dir.join(host).join("upstreams");
        config.deployments.drain_secs = 0;
        let (db, queues) = lawha_jobs::binary::connect(&config).await.unwrap();
        let deps = lawha_deploy_worker::Deps::new(db.clone(), &config);
        let runtime = lawha_deploy_worker::register(Runtime::new(&db, queues, Settings::from_config(&config)), &deps);
        let queue = registry::queue_of_host(registry::DEPLOYMENTS, host);
        assert_eq!(runtime.servable_queues().last(), Some(&queue));
        let presence = Presence::start(&db, &config).await.unwrap();
        let stop = CancellationToken::new();
        let signal = stop.clone();
        let running = tokio::spawn(async move { runtime.run(&[queue], async move { signal.cancelled().await }).await });
        Self {
            releases: config.deployments.releases_dir.clone(),
            state: config.deployments.state_dir.clone(),
            presence,
            stop,
            running,
        }
    }

    async fn stop(self) {
        self.stop.cancel();
        self.running.await.unwrap().unwrap();
        self.presence.stop().await;
        // The apps this worker started outlive it by design; the test ends them.
        for pid in std::fs::read_dir(&self.state).into_iter().flatten().flatten() {
            for colour in ["blue", "green"] {
                if let Ok(pid) = std::fs::read_to_string(pid.path().join(format!("{colour}.pid"))) {
                    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", pid.trim())]).output();
                }
            }
        }
    }
}

async fn hosts(app: &common::TestApp, admin: &Caller) -> Vec<Value> {
    let (status, body) = call(app, admin, Method::GET, "/api/v1/hosts", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["hosts"].as_array().unwrap().clone()
}

fn host<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|h| h["name"] == name).unwrap_or_else(|| panic!("no host {name} in {list:?}"))
}

/// The hosts page in English and Arabic: every host with its state in the reader's language.
async fn hosts_page(app: &common::TestApp) {
    let mut browser = common::Browser::open(app).await;
    browser.sign_in("amira", "a long enough password").await;
    let (status, page) = html(&browser, "/hosts").await;
    assert_eq!(status, StatusCode::OK);
    assert_clean(&page);
    assert!(page.contains(r#"data-host="web-a" data-state="online""#), "{page}");
    assert!(page.contains(r#"data-host="local" data-state="unregistered""#), "{page}");
    assert!(page.contains(&t(Lang::En, "host-state-online")) && page.contains("zone=web-b"), "{page}");
    let csrf = browser.csrf.clone();
    browser.post_form("/settings/language", &[("lang", "ar".into()), ("csrf", csrf)]).await;
    let (_, page) = html(&browser, "/hosts").await;
    assert!(page.contains(r#"<html lang="ar" dir="rtl">"#), "{page}");
    for id in ["hosts-title", "host-state-online", "host-state-unregistered", "nav-hosts", "site-runtime-process"] {
        assert!(page.contains(&t(Lang::Ar, id)), "{id}: {page}");
    }
}

/// The message code of the problem a 422 names for `field`.
fn problem_code<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    let problems = body["error"]["details"]["problems"].as_array()?;
    problems.iter().find(|p| p["field"] == field)?["message_code"].as_str()
}

async fn ended(app: &common::TestApp, admin: &Caller, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (_, view) = call(app, admin, Method::GET, &format!("/api/v1/deployments/{id}"), None).await;
        if view["status"] == "succeeded" || view["status"] == "failed" {
            return view;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "deployment {id} did not end: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_site_deploys_only_on_its_own_host() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("app.py"), APP).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "one"]);

    let db = common::postgres().await;
    let (mut config, data) = common::config(&db.url);
    config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
    config.jobs.namespace = lawha_jobs::testkit::namespace();
    let app = common::spawn_with(config.clone(), data, axum::Router::new()).await;
    let admin = signed_in_admin(&app).await;

    // Before any worker: the panel's own host, waiting for its worker.
    let list = hosts(&app, &admin).await;
    assert_eq!(
        (host(&list, "local")["state"].as_str(), host(&list, "local")["own"].as_bool()),
        (Some("unregistered"), Some(true))
    );

    let web_a = Worker::start(&config, "web-a", dir.path()).await;
    let web_b = Worker::start(&config, "web-b", dir.path()).await;
    common::eventually(Duration::from_secs(10), "both hosts registered", || async {
        let list = hosts(&app, &admin).await;
        ["web-a", "web-b"].iter().all(|h| list.iter().any(|v| v["name"] == *h && v["state"] == "online"))
    })
    .await;
    let list = hosts(&app, &admin).await;
    let a = host(&list, "web-a");
    assert_eq!(a["labels"], json!(["zone=web-a"]));
    assert!(a["runtimes"].as_array().unwrap().contains(&json!("process")), "{a}");
    assert!(!a["runtimes"].as_array().unwrap().contains(&json!("systemd")), "no systemd runs here: {a}");
    assert!(a["last_seen"].is_string() && a["version"].is_string(), "{a}");
    hosts_page(&app).await;

    let site = |name: &str, host: &str, runtime: &str| {
        json!({
            "name": name, "repository": format!("file://{}", repo.display()), "branch": "main", "runtime": runtime,
            "start_command": "exec python3 app.py $PORT", "health_path": "/",
            "ports": { "blue": free_port(), "green": free_port() }, "host": host,
        })
    };
    // An unknown host, and a runtime the host does not offer: refused under their fields, nothing recorded.
    let (status, body) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site("x", "web-z", "process"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem_code(&body, "host"), Some("deployments.host_unknown"), "{body}");
    let (status, body) = call(&app, &admin, Method::POST, "/api/v1/sites", Some(site("x", "web-a", "systemd"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem_code(&body, "runtime"), Some("deployments.runtime_not_offered"), "{body}");
    let (_, sites) = call(&app, &admin, Method::GET, "/api/v1/sites", None).await;
    assert_eq!(sites["sites"], json!([]));

    let mut deployments = Vec::new();
    for (name, on) in [("alpha", "web-a"), ("beta", "web-b")] {
        let (status, created) =
            call(&app, &admin, Method::POST, "/api/v1/sites", Some(site(name, on, "process"))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let path = format!("/api/v1/sites/{}/deploy", created["id"].as_str().unwrap());
        let (status, accepted) = call(&app, &admin, Method::POST, &path, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        deployments.push((name, accepted["deployment_id"].as_str().unwrap().to_owned()));
    }
    for (name, id) in &deployments {
        let view = ended(&app, &admin, id).await;
        assert_eq!(view["status"], "succeeded", "{name}: {view}");
    }
    // Each release was built by its host's worker, and only there.
    let built = |worker: &Worker, site: &str| worker.releases.join(site).is_dir();
    assert!(built(&web_a, "alpha") && !built(&web_a, "beta"), "web-a built alpha only");
    assert!(built(&web_b, "beta") && !built(&web_b, "alpha"), "web-b built beta only");
    let list = hosts(&app, &admin).await;
    assert_eq!((host(&list, "web-a")["sites"].as_i64(), host(&list, "web-b")["sites"].as_i64()), (Some(1), Some(1)));

    web_b.stop().await;
    common::eventually(Duration::from_secs(10), "web-b shown stopped", || async {
        host(&hosts(&app, &admin).await, "web-b")["state"] == "stopped"
    })
    .await;
    web_a.stop().await;
    app.stop().await.unwrap();
}
