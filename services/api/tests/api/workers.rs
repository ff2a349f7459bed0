//! Worker processes (`lawha worker`) on Redis and PostgreSQL: one killed with SIGKILL mid-job has its job run
//! again by another within 30 s, with exactly one `JobSucceeded`; one sent SIGTERM finishes its job, takes no new
//! one and exits 0. The dispatcher runs in the test process, as `lawha serve` would run it.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    jobs::{JobEvent, JobState},
};
use lawha_jobs::{dispatcher::Dispatcher, queue::Queues, testkit};
use lawha_store::testkit::TestDb;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The log, the queues and a dispatcher between them.
struct Setup {
    db: TestDb,
    namespace: String,
    stop: CancellationToken,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Self {
        let db = TestDb::postgres().await;
        let (queues, namespace): (Queues, String) = testkit::redis_queues().await;
        let stop = CancellationToken::new();
        let dispatcher = Dispatcher::new(db.db.clone(), queues, 500, Duration::from_millis(50));
        tokio::spawn(dispatcher.run(stop.clone()));
        Self { db, namespace, stop, dir: tempfile::tempdir().expect("tempdir") }
    }

    /// A `lawha worker --queues diagnostics` process on this setup's database and Redis namespace.
    fn worker(&self) -> Child {
        self.worker_with(&[])
    }

    fn worker_with(&self, extra: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_lawha"))
            .args(["worker", "--queues", "diagnostics"])
            .args(extra)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LAWHA_ENV", "test")
            .env("LAWHA_DATA_DIR", self.dir.path())
            .env("LAWHA_DATABASE_URL", &self.db.url)
            .env("LAWHA_REDIS_URL", testkit::redis_url())
            .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
            .env("LAWHA_JOBS__NAMESPACE", &self.namespace)
            .env("LAWHA_JOBS__SHUTDOWN_GRACE_SECS", "20")
            .env("LAWHA_LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting `lawha worker`")
    }

    async fn request(&self, sleep_ms: u64) -> Uuid {
        let stream = StreamId::for_entity("probe", Uuid::now_v7()).expect("stream");
        let event = NewEvent::new("ProbeRequested", json!({ "sleep_ms": sleep_ms }), Metadata::default());
        let id = event.event_id;
        self.db.db.events.append(&stream, ExpectedVersion::Exact(0), vec![event]).await.expect("append");
        id
    }

    async fn facts(&self, job: Uuid) -> Vec<JobEvent> {
        let events = self.db.db.events.read_stream(&JobState::stream(job), 0, 1000).await.expect("read_stream");
        events.iter().map(|e| JobEvent::from_recorded(e).expect("a job event")).collect()
    }

    async fn wait(&self, job: Uuid, limit: Duration, what: &str, done: impl Fn(&[JobEvent]) -> bool) -> Vec<JobEvent> {
        let deadline = Instant::now() + limit;
        loop {
            let facts = self.facts(job).await;
            if done(&facts) {
                return facts;
            }
            assert!(Instant::now() < deadline, "{what} did not happen within {limit:?}: {facts:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn started(facts: &[JobEvent]) -> bool {
    facts.iter().any(|f| matches!(f, JobEvent::JobStarted { .. }))
}

fn succeeded(facts: &[JobEvent]) -> usize {
    facts.iter().filter(|f| matches!(f, JobEvent::JobSucceeded { .. })).count()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().expect("kill");
    assert!(status.success(), "kill -{name} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_has_its_job_run_again_elsewhere_within_30_s_and_succeed_once() {
    let setup = Setup::start().await;
    let mut doomed = setup.worker();
    let job = setup.request(4000).await;
    setup.wait(job, Duration::from_secs(30), "the first worker taking the job", started).await;
    let mut survivor = setup.worker();
    signal(&doomed, "KILL");
    let _ = doomed.wait();
    let killed_at = Instant::now();
    let facts = setup.wait(job, Duration::from_secs(40), "the job succeeding", |f| succeeded(f) > 0).await;
    let recovered_in = killed_at.elapsed();
    assert!(recovered_in < Duration::from_secs(30), "the job completed {recovered_in:?} after the kill");
    assert_eq!(succeeded(&facts), 1, "{facts:#?}");
    assert!(
        facts
            .iter()
            .any(|f| matches!(f, JobEvent::JobFailed { attempt: 1, error, .. } if error.code == "jobs.abandoned")),
        "the killed attempt is recorded as abandoned: {facts:#?}"
    );
    assert!(matches!(facts.last(), Some(JobEvent::JobSucceeded { attempt: 2, .. })), "{facts:#?}");
    eprintln!("re-run and completed {recovered_in:?} after SIGKILL");
    // A second look after a while: nothing ran it a third time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(setup.facts(job).await, facts);
    signal(&survivor, "TERM");
    let _ = survivor.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_job_finish_takes_no_new_one_and_exits_0() {
    let setup = Setup::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let metrics = format!("127.0.0.1:{port}");
    let mut worker = setup.worker_with(&["--metrics-listen", &metrics]);
    let running = setup.request(3000).await;
    setup.wait(running, Duration::from_secs(30), "the worker taking the job", started).await;
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(text.contains("lawha_jobs_started_total{kind=\"Probe\"} 1"), "the worker's own metrics: {text}");
    signal(&worker, "TERM");
    // Asked for after the signal: this worker must leave it alone.
    let later = setup.request(0).await;
    let status = tokio::task::spawn_blocking(move || worker.wait()).await.expect("join").expect("wait");
    assert_eq!(status.code(), Some(0), "the worker exits 0 after SIGTERM");
    let facts = setup.facts(running).await;
    assert_eq!(succeeded(&facts), 1, "the in-flight job finished: {facts:#?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(setup.facts(later).await.is_empty(), "a stopping worker took a new job");
    // Another worker picks it up.
    let mut next = setup.worker();
    setup.wait(later, Duration::from_secs(30), "the next worker running the later job", |f| succeeded(f) == 1).await;
    signal(&next, "TERM");
    let _ = next.wait();
}
