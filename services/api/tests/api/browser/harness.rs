//! A real headless Chromium driven through WebDriver: `chromedriver` runs as a child process on a free port,
//! fantoccini talks to it, and [`Browser`] wraps the few things a scenario does (go to a page, wait for an
//! element, fill, click, screenshot, wait for a download).
//!
//! chromedriver is `LAWHA_TEST_CHROMEDRIVER` (default `/usr/bin/chromedriver`, Debian's `chromium-driver`) and
//! the browser `LAWHA_TEST_CHROMIUM` (default `/usr/bin/chromium`, Debian's `chromium`). When either is missing
//! the test fails and says which package to install or which variable to set: it never skips.

// Some helpers serve scenarios still to come (two-factor sign-in), not every one is used yet.
#![allow(dead_code)]

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element, wd::Capabilities};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

/// The variable naming the chromedriver binary.
pub const CHROMEDRIVER_VAR: &str = "LAWHA_TEST_CHROMEDRIVER";
/// The variable naming the Chromium binary.
pub const CHROMIUM_VAR: &str = "LAWHA_TEST_CHROMIUM";
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// How long a wait lasts unless a scenario says otherwise: generous, because a 2-core CI machine that is also
/// compiling can be slow, and a wait returns as soon as its condition holds.
pub const WAIT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

/// One browser at a time per test binary: each is a chromedriver and a Chromium with several processes, and on
/// a 2-core machine several at once only make every wait longer.
static ONE_AT_A_TIME: Semaphore = Semaphore::const_new(1);

/// Where screenshots go: `<workspace root>/target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("services/api is two levels down");
    workspace.join("target/screenshots")
}

/// The test programs' environment. Tests receive no `Config`, so this one function reads the process
/// environment directly (like the test kit's database URL).
#[allow(clippy::disallowed_methods)]
fn program(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var(var).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned());
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "the browser tests need {} but {} does not exist: install Debian's `{package}` package \
         (apt-get install chromium chromium-driver) or set {var} to its path",
        package,
        path.display()
    );
    path
}

/// The chromedriver process; dropping it kills its whole process group, so no Chromium outlives a test, even
/// one that panicked.
struct Driver {
    child: Child,
    log: PathBuf,
}

impl Driver {
    fn start(binary: &Path, port: u16, log: PathBuf) -> Driver {
        use std::os::unix::process::CommandExt as _;
        let out = fs::File::create(&log).expect("creating the chromedriver log");
        let err = out.try_clone().expect("cloning the log handle");
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // A process group of its own: Chromium and its helpers join it, and Drop ends them all.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} failed: {e}", binary.display()));
        Driver { child, log }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // `kill -KILL -PGID` ends the group; std offers no group kill and unsafe code (libc) is forbidden here.
        let _ =
            Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium on a page of the panel.
pub struct Browser {
    // Fields drop in this order: the client, then the processes, then their directory.
    client: Client,
    base: String,
    driver: Driver,
    /// Holds `downloads/` (Chromium's download directory) and `chromedriver.log`.
    work: tempfile::TempDir,
    _permit: SemaphorePermit<'static>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium that will open paths of `base` (`http://127.0.0.1:port`).
    pub async fn new(base: &str) -> Browser {
        let chromedriver = program(CHROMEDRIVER_VAR, DEFAULT_CHROMEDRIVER, "chromium-driver");
        let chromium = program(CHROMIUM_VAR, DEFAULT_CHROMIUM, "chromium");
        let permit = ONE_AT_A_TIME.acquire().await.expect("the browser semaphore is never closed");
        let work = tempfile::tempdir().expect("creating the browser's directory");
        let downloads = work.path().join("downloads");
        fs::create_dir(&downloads).expect("creating the download directory");
        let port = free_port();
        let mut driver = Driver::start(&chromedriver, port, work.path().join("chromedriver.log"));
        let url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&mut driver, &url).await;
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(&chromium, &downloads))
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver refused a session: {e}\n{}", driver.log()));
        Browser { client, base: base.trim_end_matches('/').to_owned(), work, driver, _permit: permit }
    }

    /// The WebDriver client, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The absolute URL of `path` on the panel.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens `path` and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.client.goto(&url).await.unwrap_or_else(|e| panic!("opening {url} failed: {e}"));
    }

    /// The current path and query (`/audit?event_type=X`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("reading the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until an element matches `css` and returns it; panics after `timeout` naming the selector and
    /// the page, and leaves a screenshot `timeout.png` of what the browser showed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return element;
            }
            if tokio::time::Instant::now() >= deadline {
                self.fail(&format!("no element matched `{css}` within {timeout:?}")).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls `check` until it holds; panics after `timeout` with `what`.
    pub async fn wait_until(&self, what: &str, timeout: Duration, mut check: impl AsyncFnMut(&Browser) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !check(self).await {
            if tokio::time::Instant::now() >= deadline {
                self.fail(&format!("timed out after {timeout:?} waiting for {what}")).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether an element matches `css` within `within` (false, not a panic, when none does).
    pub async fn appears(&self, css: &str, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.client.find(Locator::Css(css)).await.is_ok() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Replaces the value of the input matching `css` with `text`, typed as keystrokes.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_for(css, WAIT).await;
        input.clear().await.unwrap_or_else(|e| panic!("clearing `{css}` failed: {e}"));
        input.send_keys(text).await.unwrap_or_else(|e| panic!("typing into `{css}` failed: {e}"));
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css, WAIT).await;
        element.click().await.unwrap_or_else(|e| panic!("clicking `{css}` failed: {e}"));
    }

    /// The rendered text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css, WAIT).await;
        element.text().await.unwrap_or_else(|e| panic!("reading the text of `{css}` failed: {e}"))
    }

    /// The rendered text of every element matching `css` (none is an empty list, not a wait).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("finding elements") {
            texts.push(element.text().await.expect("reading an element's text"));
        }
        texts
    }

    /// Attribute `name` of every element matching `css`.
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<Option<String>> {
        let mut values = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("finding elements") {
            values.push(element.attr(name).await.expect("reading an attribute"));
        }
        values
    }

    /// Runs `script` in the page (WebDriver scripts are not subject to the page's CSP) and returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("running a script failed: {e}"))
    }

    /// The value of the browser's cookie `name`, for API calls in the same session.
    pub async fn cookie(&self, name: &str) -> String {
        let cookie = self.client.get_named_cookie(name).await.unwrap_or_else(|e| panic!("no cookie {name}: {e}"));
        format!("{name}={}", cookie.value())
    }

    /// Opens the sign-in page, types `user` and `password` and submits, without waiting for the outcome (a
    /// second step such as a two-factor code, or a refusal, may follow).
    pub async fn submit_sign_in(&self, user: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click("main form button[type=submit]").await;
    }

    /// Signs in through the sign-in page and waits until a signed-in page (with the sign-out button) shows.
    pub async fn sign_in(&self, user: &str, password: &str) {
        self.submit_sign_in(user, password).await;
        self.wait_for("form.sign-out button[type=submit]", WAIT).await;
    }

    /// Presses the header's sign-out button and waits for the sign-in page.
    pub async fn sign_out(&self) {
        self.click("form.sign-out button[type=submit]").await;
        self.wait_until("the sign-in page after signing out", WAIT, async |b| b.path().await == "/login").await;
        self.wait_for("#username", WAIT).await;
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap_or_else(|e| panic!("screenshot {name} failed: {e}"));
        let dir = screenshot_dir();
        fs::create_dir_all(&dir).expect("creating target/screenshots");
        let path = dir.join(format!("{name}.png"));
        fs::write(&path, png).expect("writing a screenshot");
        path
    }

    /// Waits until a download whose name ends with `extension` has finished and returns its path.
    pub async fn wait_for_download(&self, extension: &str, timeout: Duration) -> PathBuf {
        let dir = self.work.path().join("downloads");
        let mut found = None;
        self.wait_until(&format!("a finished .{extension} download in {}", dir.display()), timeout, async |_| {
            let names: Vec<PathBuf> = fs::read_dir(&dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
            // Chromium writes `<name>.crdownload` and renames it when the body is complete.
            let busy = names.iter().any(|p| p.extension().is_some_and(|e| e == "crdownload"));
            found = names.into_iter().find(|p| p.extension().is_some_and(|e| e == extension));
            !busy && found.is_some()
        })
        .await;
        found.expect("the wait returned with a download")
    }

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let Browser { client, driver, work, _permit, .. } = self;
        if let Err(e) = client.close().await {
            eprintln!("closing the browser session failed: {e}");
        }
        drop(driver);
        drop(work);
    }

    /// Panics with `message`, the page's URL and chromedriver's log tail, after a screenshot of the page.
    async fn fail(&self, message: &str) -> ! {
        let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        let shot = self.screenshot("timeout").await;
        let log = self.driver.log();
        let tail: String =
            log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        panic!("{message}\npage: {url}\nscreenshot: {}\nchromedriver log (tail):\n{tail}", shot.display());
    }
}

/// The session's capabilities: headless Chromium with a fixed window and downloads saved without asking.
fn capabilities(chromium: &Path, downloads: &Path) -> Capabilities {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                "--no-first-run",
                "--no-default-browser-check",
                "--lang=en-US",
            ],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "intl.accept_languages": "en-US,en",
            },
        },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// A port nothing listens on right now (the OS picks it; chromedriver binds it a moment later).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("the free port's address").port()
}

/// Waits until chromedriver's `/status` says ready; fails with its log if it exits or stays silent.
async fn wait_until_ready(driver: &mut Driver, url: &str) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("building a client");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            panic!("chromedriver exited with {status} before answering:\n{}", driver.log());
        }
        if let Ok(response) = client.get(format!("{url}/status")).send().await
            && let Ok(body) = response.json::<Value>().await
            && body["value"]["ready"] == true
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not answer on {url} within 20 s:\n{}",
            driver.log()
        );
        tokio::time::sleep(POLL).await;
    }
}
