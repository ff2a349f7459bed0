//! What the engine's tests share: the programs they need (found, or a failure naming the Debian package), free
//! loopback ports, a log to read back, the small Python app the runtime and nginx tests run, and waiting.

use std::{
    future::Future,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use lawha_deploy_worker::engine::runtime::{AppInstance, Colour};
use lawha_domain::Message;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// The path of `program`: `$override_var` when set, else the first match on `PATH` or in `/usr/sbin` (where
/// Debian puts nginx). Panics, naming the Debian package to install, when there is none: a test that needs a
/// program fails rather than skips.
#[allow(clippy::disallowed_methods)] // tests receive no Config; they read their own variables
pub fn program(name: &str, package: &str, override_var: Option<&str>) -> PathBuf {
    if let Some(var) = override_var
        && let Some(path) = std::env::var_os(var)
    {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{var}={} is not a file: point it at a {name} binary, or unset it to use {name} from the Debian package \
             {package}",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        let other = override_var.map(|var| format!(", or set {var} to another {name} binary")).unwrap_or_default();
        panic!("this test needs {name}: install the Debian package {package} (apt-get install {package}){other}")
    })
}

/// `git` (the engine runs it from `PATH`).
pub fn git() -> PathBuf {
    program("git", "git", None)
}

/// `python3`, which runs the test apps.
pub fn python3() -> PathBuf {
    program("python3", "python3", None)
}

/// `nginx`, or `$LAWHA_TEST_NGINX`.
pub fn nginx() -> PathBuf {
    program("nginx", "nginx", Some("LAWHA_TEST_NGINX"))
}

/// A loopback port nothing listens on (now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A deployment's log as a test reads it back.
pub struct Log {
    /// What the engine sends into.
    pub tx: UnboundedSender<Message>,
    rx: UnboundedReceiver<Message>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        let (tx, rx) = unbounded_channel();
        Self { tx, rx }
    }

    /// Everything sent so far.
    pub fn drain(&mut self) -> Vec<Message> {
        std::iter::from_fn(|| self.rx.try_recv().ok()).collect()
    }
}

/// The text lines among messages (a tool's own output).
pub fn texts(messages: &[Message]) -> Vec<String> {
    messages.iter().filter(|m| m.code == lawha_domain::message::TEXT).map(ToString::to_string).collect()
}

/// The app the runtime and nginx tests run: it answers every path with its colour (`$COLOUR`), `/health` with
/// 503 while a file `unhealthy` exists in its folder, ignores SIGTERM when `$IGNORE_TERM` is set, and says on
/// stderr where it listens. Its backlog is large enough for a load test.
const APP: &str = r#"
import http.server, os, signal, sys
colour = os.environ.get("COLOUR", "none").encode()
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 503 if self.path == "/health" and os.path.exists("unhealthy") else 200
        self.send_response(status)
        self.send_header("content-length", str(len(colour)))
        self.end_headers()
        self.wfile.write(colour)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
server = Server(("127.0.0.1", int(os.environ["PORT"])), Answer)
print("listening on", os.environ["PORT"], file=sys.stderr, flush=True)
server.serve_forever()
"#;

/// A release folder holding the app, under `root`.
pub fn app_release(root: &Path, name: &str) -> PathBuf {
    python3();
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("release folder");
    std::fs::write(dir.join("app.py"), APP).expect("app.py");
    dir
}

/// The app of `dir` as `colour` of `site` on `port`.
pub fn app(site: &str, colour: Colour, dir: &Path, port: u16) -> AppInstance {
    AppInstance {
        site: site.to_owned(),
        colour,
        commit: "0".repeat(40),
        release_dir: dir.to_owned(),
        start_command: "exec python3 app.py".to_owned(),
        port,
        env: vec![("COLOUR".to_owned(), colour.as_str().to_owned())],
    }
}

/// Waits until `check` holds, at most `limit`; returns whether it did.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a process runs: it is in `/proc` and not a zombie.
pub fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// A test nginx's configuration (the engine's and the handler's tests): `{d}` is the prefix, `{port}` where
/// nginx listens, `{upstream}` the site's upstream file; `{d}/extra/*.conf` lets a test break it.
pub const NGINX_CONF: &str = "worker_processes 2;
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
    upstream app {
        include {upstream};
    }
    include {d}/extra/*.conf;
    server {
        listen 127.0.0.1:{port};
        location / { proxy_pass http://app; }
    }
}
";
