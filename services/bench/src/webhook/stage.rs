//! A stage for real deployments on loopback, shared by `lawha bench webhook` (the switch time) and the panel's
//! end-to-end deployment test: a git repository served by `file://`, a python3 app that answers its version, and
//! a real nginx in a prefix of its own whose upstream file the deploy worker switches; plus the load through
//! nginx that counts failed requests and notes when each version was first served.
//!
//! Everything lives in one temporary folder; dropping the stage stops nginx and the apps the worker started.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use anyhow::{Context as _, bail};

/// The app every release runs: it answers its `VERSION` on every path.
pub const APP: &str = r#"import http.server, os
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
    upstream {site} { include {d}/upstreams/{site}.upstream.conf; }
    server { listen 127.0.0.1:{port}; location / { proxy_pass http://{site}; } }
}
";

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Fails naming the program (and how to provide it) when `program` cannot be run.
pub fn require(program: &str, how: &str) -> anyhow::Result<()> {
    match Command::new(program).arg("--version").output() {
        Ok(_) => Ok(()),
        Err(e) => bail!("{program} cannot be run ({e}): {how}"),
    }
}

/// The stage: its folder, repository, nginx and ports.
#[derive(Debug)]
pub struct Stage {
    dir: tempfile::TempDir,
    site: String,
    /// The app's git repository (`file://` + this path).
    pub repo: PathBuf,
    /// The port nginx listens on.
    pub port: u16,
    /// The blue and the green port.
    pub ports: [u16; 2],
    nginx: Vec<String>,
}

impl Stage {
    /// Makes the folder and an empty repository, and starts `nginx` (its upstream file pointing at blue) for the
    /// site named `site`.
    pub fn start(nginx: &Path, site: &str) -> anyhow::Result<Self> {
        if !nginx.exists() {
            bail!("nginx not found at {}: apt-get install nginx, or set LAWHA_TEST_NGINX", nginx.display());
        }
        require("git", "apt-get install git, or put git on PATH")?;
        require("python3", "apt-get install python3, or put python3 on PATH")?;
        let dir = tempfile::tempdir()?;
        let d = dir.path().to_owned();
        std::fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        for sub in ["tmp", "upstreams", "repo"] {
            std::fs::create_dir_all(d.join(sub))?;
        }
        let ports = [free_port()?, free_port()?];
        std::fs::write(d.join(format!("upstreams/{site}.upstream.conf")), format!("server 127.0.0.1:{};\n", ports[0]))?;
        let port = free_port()?;
        let conf = d.join("nginx.conf");
        let text = NGINX.replace("{d}", &d.display().to_string()).replace("{port}", &port.to_string());
        std::fs::write(&conf, text.replace("{site}", site))?;
        let nginx: Vec<String> = [nginx.display().to_string(), "-p".into(), d.display().to_string(), "-c".into()]
            .into_iter()
            .chain([conf.display().to_string()])
            .collect();
        let stage = Self { repo: d.join("repo"), dir, site: site.to_owned(), port, ports, nginx };
        stage.git(&["init", "-q"])?;
        let out = Command::new(&stage.nginx[0]).args(&stage.nginx[1..]).output().context("starting nginx")?;
        if !out.status.success() {
            bail!("nginx did not start: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(stage)
    }

    /// The stage's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The nginx command line of this stage followed by `args` (`-t`; `-s reload`).
    pub fn nginx_command(&self, args: &[&str]) -> Vec<String> {
        self.nginx.iter().cloned().chain(args.iter().map(|a| (*a).to_owned())).collect()
    }

    /// The deploy worker's folders for this stage: (releases, state, nginx upstreams).
    pub fn deploy_dirs(&self) -> (PathBuf, PathBuf, PathBuf) {
        let d = self.dir.path();
        (d.join("releases"), d.join("state"), d.join("upstreams"))
    }

    /// Runs git in the repository; its output.
    pub fn git(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new("git")
            .args(["-c", "user.name=Lawha", "-c", "user.email=lawha@example.com", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(&self.repo)
            .output()
            .context("running git")?;
        if !out.status.success() {
            bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Commits the app answering `version`, with `build` as its build script (`sh build.sh`); the commit.
    pub fn commit(&self, version: &str, build: &str) -> anyhow::Result<String> {
        std::fs::write(self.repo.join("VERSION"), version)?;
        std::fs::write(self.repo.join("app.py"), APP)?;
        std::fs::write(self.repo.join("build.sh"), build)?;
        self.git(&["add", "-A"])?;
        self.git(&["commit", "-q", "-m", version])?;
        self.git(&["rev-parse", "HEAD"])
    }
}

impl Drop for Stage {
    /// nginx and the apps the worker started outlive their starter unless stopped, also after a failure.
    fn drop(&mut self) {
        let _ = Command::new(&self.nginx[0]).args(&self.nginx[1..]).args(["-s", "stop"]).output();
        for colour in ["blue", "green"] {
            let pid_file = self.dir.path().join("state").join(&self.site).join(format!("{colour}.pid"));
            if let Ok(pid) = std::fs::read_to_string(pid_file) {
                let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", pid.trim())]).output();
            }
        }
    }
}

/// What the load through nginx saw.
#[derive(Debug, Default)]
pub struct Served {
    /// Requests answered 200.
    pub answered: u64,
    /// Requests that failed (no answer, or not 200).
    pub failed: u64,
    /// What the failures were.
    pub errors: Vec<String>,
    /// When each body (the app's version) was first answered.
    pub first: HashMap<String, SystemTime>,
}

/// Requests `GET /` through nginx on `port` from `clients` clients, a new connection each (as browsers arriving
/// during a switch do), until `stop` is set.
pub fn load(port: u16, clients: usize, stop: &Arc<AtomicBool>) -> tokio::task::JoinHandle<Served> {
    let served = Arc::new(std::sync::Mutex::new(Served::default()));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (served, stop) = (Arc::clone(&served), Arc::clone(stop));
            tokio::spawn(async move {
                let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build();
                let Ok(client) = client else { return };
                let url = format!("http://127.0.0.1:{port}/");
                while !stop.load(Ordering::Relaxed) {
                    let answer = match client.get(&url).timeout(Duration::from_secs(10)).send().await {
                        Ok(r) if r.status().is_success() => r.text().await.map_err(|e| format!("{e:#}")),
                        Ok(r) => Err(format!("status {}", r.status())),
                        Err(e) => Err(format!("{e:#}")),
                    };
                    let at = SystemTime::now();
                    let mut served = served.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    match answer {
                        Ok(body) => {
                            served.answered += 1;
                            served.first.entry(body).or_insert(at);
                        }
                        Err(error) => {
                            served.failed += 1;
                            served.errors.push(error);
                        }
                    }
                }
            })
        })
        .collect();
    tokio::spawn(async move {
        for task in tasks {
            let _ = task.await;
        }
        let mut served = served.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::take(&mut *served)
    })
}
