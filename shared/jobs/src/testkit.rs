//! Test helpers for the job pipeline: the Redis server tests use (`LAWHA_TEST_REDIS_URL`, default
//! [`DEFAULT_REDIS_URL`]) with a key namespace per test, a `redis-server` of a test's own on a free port, for
//! tests that kill and restart it, and a [`JobContext`] for running a handler directly ([`job_context`]). A test
//! that cannot reach Redis fails with a message naming the server and the variable; it never skips.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use lawha_domain::jobs::Job;
use lawha_store::Database;
use uuid::Uuid;

use crate::{queue::Queues, runtime::JobContext};

/// The Redis tests use when `LAWHA_TEST_REDIS_URL` is not set.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The Redis server of the test suite.
#[allow(clippy::disallowed_methods)] // tests receive no Config; the test kit reads its own variable
pub fn redis_url() -> String {
    std::env::var("LAWHA_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_REDIS_URL.into())
}

/// The context a handler receives, for running it directly without queues or a runtime (a worker crate's handler
/// tests): its log lines are stored in `db`'s job log under the job's id, and it never reports a shutdown.
pub fn job_context(db: &Database, job: Job, worker: &str) -> JobContext {
    JobContext::detached(db, job, worker)
}

/// A namespace no other test uses.
pub fn namespace() -> String {
    format!("lawha-test-{}", Uuid::new_v4().simple())
}

/// Queues on the suite's Redis under a fresh namespace; panics naming the server when it is unreachable.
pub async fn redis_queues() -> (Queues, String) {
    let (url, ns) = (redis_url(), namespace());
    let queues = Queues::redis(&url, &ns).await.unwrap_or_else(|e| unreachable_redis(&url, &e.to_string()));
    if let Err(e) = queues.depth("admin").await {
        unreachable_redis(&url, &e.to_string());
    }
    (queues, ns)
}

fn unreachable_redis(url: &str, error: &str) -> ! {
    panic!(
        "these tests need Redis at {url} ({error}); start it (redis-server --daemonize yes --port 6379 --save '' \
         --appendonly no) or set LAWHA_TEST_REDIS_URL"
    )
}

/// A `redis-server` of the test's own, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers; panics naming the package when it is missing.
    pub fn start() -> Self {
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it at once (SIGKILL): what it held in memory is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`Self::kill`]) and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server ({e}): install Debian's redis-server package"));
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server on port {} did not start within 5 s", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
