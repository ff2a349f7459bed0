//! Shared test helpers: the real app on port 0 against a database of its own, and a TCP proxy that a test can
//! cut to make PostgreSQL unreachable.

#![allow(dead_code)] // each test binary uses a different subset

pub mod deploy;
pub mod jobs;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::Router;
use lawha::{App, state::AppState};
use lawha_config::{Config, Secret};
use lawha_store::testkit::TestDb;
use tokio::{net::TcpListener, sync::Mutex, task::JoinHandle};

/// A running panel.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client for it.
    pub client: reqwest::Client,
    /// Its state (database, configuration).
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The URL of `path` on this app.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request to the test app failed")
    }

    /// Triggers shutdown and waits for `run_until_stopped` to return.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.take().expect("app already stopped").await.expect("the app task panicked")
    }

    /// Triggers shutdown without waiting.
    pub fn signal_stop(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.handle.take().expect("app already stopped")
    }
}

/// A test configuration on `database_url`, with its data directory. The daily audit verification is off and no
/// queue is worked in-process, so a test's log holds only the events it makes and its jobs move only when it
/// drives them; the tests of the pipeline turn both on ([`with_workers`]).
pub fn config(database_url: &str) -> (Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("creating a temporary data directory");
    let mut config = Config::test(dir.path());
    config.database_url = Secret::new(database_url.to_owned());
    config.jobs.audit_verify_cron = None;
    config.jobs.in_process = lawha_config::InProcess::Only(vec![]);
    (config, dir)
}

/// `config` with every queue worked in-process, as `lawha serve` works them in development.
pub fn with_workers(mut config: Config) -> Config {
    config.jobs.in_process = lawha_config::InProcess::All;
    config
}

/// `GET path` with a bearer token: the status and the JSON body (`null` when it is not JSON).
pub async fn get_with_token(app: &TestApp, token: &str, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.expect("a GET request");
    (response.status(), response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Starts the app on `database_url`.
pub async fn spawn_app(database_url: &str) -> TestApp {
    let (config, dir) = config(database_url);
    spawn_with(config, dir, Router::new()).await
}

/// Starts the app with a given configuration and extra routes.
pub async fn spawn_with(config: Config, dir: tempfile::TempDir, extra: Router<AppState>) -> TestApp {
    let app = App::build_with_routes(config, extra).await.expect("building the app failed");
    let addr = app.local_addr();
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("building a client");
    TestApp { addr, client, state, stop: Some(stop), handle: Some(handle), _dir: dir }
}

/// A fresh PostgreSQL test database (dropped when the returned handle drops).
pub async fn postgres() -> TestDb {
    TestDb::postgres().await
}

/// A TCP proxy in front of an upstream address; `cut()` drops every connection and refuses new ones (by
/// accepting and closing them at once), `restore()` lets traffic through again.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (task_open, task_connections) = (Arc::clone(&open), Arc::clone(&connections));
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !task_open.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                task_connections.lock().await.push(relay);
            }
        });
        Proxy { addr, open, connections, accept }
    }

    /// Makes the upstream unreachable: live connections are dropped, new ones closed on accept.
    pub async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for relay in self.connections.lock().await.drain(..) {
            relay.abort();
        }
    }

    /// Lets traffic through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Rewrites a PostgreSQL URL to go through `proxy`.
pub fn via_proxy(url: &str, proxy: SocketAddr) -> String {
    let start = url.find('@').map_or_else(|| url.find("://").map_or(0, |i| i + 3), |i| i + 1);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    format!("{}{}{}", &url[..start], proxy, &url[end..])
}

/// Polls `check` every 100 ms until it is true or `limit` passes; panics with `what` on timeout.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

/// A browser-like client: one session cookie and its CSRF token, kept by hand (so tests can inspect them).
pub struct Browser<'a> {
    /// The app.
    pub app: &'a TestApp,
    /// `name=value` of the session cookie.
    pub cookie: String,
    /// The last `Set-Cookie` header.
    pub set_cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

impl<'a> Browser<'a> {
    /// A new session: `GET /api/v1/session` for the cookie and the CSRF token.
    pub async fn open(app: &'a TestApp) -> Browser<'a> {
        let response = app.get("/api/v1/session").await;
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let body: serde_json::Value = response.json().await.unwrap();
        Browser { app, cookie, set_cookie, csrf: body["csrf"].as_str().unwrap().to_owned() }
    }

    fn keep_cookie(&mut self, response: &reqwest::Response) {
        if let Some(set) = response.headers().get("set-cookie") {
            self.set_cookie = set.to_str().unwrap().to_owned();
            self.cookie = self.set_cookie.split(';').next().unwrap().to_owned();
        }
    }

    /// `POST /login` with the given CSRF token (or none).
    pub async fn login(&mut self, user: &str, password: &str, csrf: Option<&str>) -> reqwest::Response {
        let mut form = vec![("username", user.to_owned()), ("password", password.to_owned())];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf.to_owned()));
        }
        self.post_form("/login", &form).await
    }

    /// Signs in with the session's CSRF token and takes the new one; panics unless signed in.
    pub async fn sign_in(&mut self, user: &str, password: &str) {
        let csrf = self.csrf.clone();
        let response = self.login(user, password, Some(&csrf)).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "sign-in of {user}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["user"], user, "{body}");
        self.csrf = body["csrf"].as_str().unwrap().to_owned();
    }

    /// POSTs a form (no CSRF field added: pass it in `form` when wanted), keeping the cookie.
    pub async fn post_form(&mut self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        let response =
            self.app.client.post(self.app.url(path)).header("cookie", &self.cookie).form(form).send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    /// Sends JSON with the session's CSRF header, keeping the cookie.
    pub async fn send_json(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let response = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap();
        self.keep_cookie(&response);
        response
    }

    /// GET with the session cookie.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.app.client.get(self.app.url(path)).header("cookie", &self.cookie).send().await.unwrap()
    }

    /// GET a page as a browser does (`Accept: text/html`).
    pub async fn page(&self, path: &str) -> reqwest::Response {
        self.app
            .client
            .get(self.app.url(path))
            .header("cookie", &self.cookie)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }
}

/// Creates a user and waits until the users projection knows it.
pub async fn create_user(app: &TestApp, name: &str, role: lawha_domain::users::Role, password: &str) {
    lawha::users::create_user(&app.state.db, name, role, password, &lawha_domain::Metadata::default()).await.unwrap();
    eventually(Duration::from_secs(15), "the users projection to know the new user", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(&app.state.db.read_models)
            .await
            .unwrap()
            == 1
    })
    .await;
}

/// The `name=value` part of a response's session cookie.
pub fn cookie_of(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(reqwest::header::SET_COOKIE)?.to_str().ok()?;
    value.split(';').next().map(str::to_owned)
}

/// The CSRF token of the first form on a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).unwrap_or_else(|| panic!("no CSRF field in:\n{html}")) + marker.len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building a client")
}

/// Waits until the users read model has `count` users.
pub async fn wait_for_users(app: &TestApp, count: i64) {
    eventually(Duration::from_secs(15), "the users projection", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&app.state.db.read_models)
            .await
            .is_ok_and(|n| n == count)
    })
    .await;
}

/// Creates `user` with `role` and an API token of `scope`, and waits until the token authenticates.
pub async fn token(
    app: &TestApp,
    user: &str,
    role: lawha_domain::users::Role,
    scope: lawha_domain::users::Scope,
) -> String {
    create_user(app, user, role, "a long enough password").await;
    let meta = lawha_domain::Metadata::default();
    let issued = lawha::users::create_token(&app.state.db, user, "tests", vec![scope], &meta).await.unwrap();
    eventually(Duration::from_secs(15), "the new token to authenticate", || async {
        app.client.get(app.url("/health/live")).bearer_auth(&issued.token).send().await.unwrap().status() == 200
    })
    .await;
    issued.token
}
