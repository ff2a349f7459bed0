//! The pipeline end to end inside one process: a request event in the log → the dispatcher → the queue (SQLite
//! file, and Redis under a namespace of the test's own) → the runtime → `Job…` facts in the job's stream. Each
//! behaviour runs on both queue backends, over PostgreSQL (Redis) or SQLite (the embedded queue).

use std::time::Duration;

use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    jobs::{JobEvent, JobState},
};
use lawha_jobs::{
    dispatcher::Dispatcher,
    probe::Probe,
    queue::Queues,
    runtime::{Runtime, Settings},
    testkit,
};
use lawha_store::testkit::TestDb;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A running dispatcher and runtime over one database and one queue backend.
struct Pipeline {
    db: TestDb,
    queues: Queues,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Pipeline {
    async fn start(redis: bool) -> Self {
        Self::start_polling(redis, Duration::from_millis(20)).await
    }

    /// A pipeline whose workers poll their queue every `poll` when nothing wakes them.
    async fn start_polling(redis: bool, poll: Duration) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db, queues) = if redis {
            (TestDb::postgres().await, testkit::redis_queues().await.0)
        } else {
            let queues = Queues::sqlite(&dir.path().join("queue.db")).await.expect("the SQLite queue opens");
            (TestDb::sqlite().await, queues)
        };
        let mut pipeline = Self { db, queues, stop: CancellationToken::new(), tasks: vec![], _dir: dir };
        pipeline.add_dispatcher();
        pipeline.add_workers(poll);
        pipeline
    }

    fn add_dispatcher(&mut self) {
        let dispatcher = Dispatcher::new(self.db.db.clone(), self.queues.clone(), 500, Duration::from_millis(50));
        self.tasks.push(tokio::spawn(dispatcher.run(self.stop.clone())));
    }

    fn add_workers(&mut self, poll: Duration) {
        let settings = Settings { concurrency: 4, poll, grace: Duration::from_secs(5), host: "local".to_owned() };
        let runtime = Runtime::new(&self.db.db, self.queues.clone(), settings).handle("Probe", Probe);
        let stop = self.stop.clone();
        self.tasks.push(tokio::spawn(async move {
            runtime.run(&["diagnostics".to_owned()], async move { stop.cancelled().await }).await.expect("workers run");
        }));
    }

    /// Appends a `ProbeRequested` event, as the API's command does; returns the job id.
    async fn request(&self, data: Value) -> Uuid {
        let stream = StreamId::for_entity("probe", Uuid::now_v7()).expect("stream");
        let event =
            NewEvent::new("ProbeRequested", data, Metadata { actor: Some("user:test".into()), ..Metadata::default() });
        let id = event.event_id;
        self.db.db.events.append(&stream, ExpectedVersion::Exact(0), vec![event]).await.expect("append");
        id
    }

    async fn facts(&self, job: Uuid) -> Vec<JobEvent> {
        let events = self.db.db.events.read_stream(&JobState::stream(job), 0, 1000).await.expect("read_stream");
        events.iter().map(|e| JobEvent::from_recorded(e).expect("a job event")).collect()
    }

    /// Waits until the job's facts satisfy `done`, up to `limit`.
    async fn wait(&self, job: Uuid, limit: Duration, done: impl Fn(&[JobEvent]) -> bool) -> Vec<JobEvent> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let facts = self.facts(job).await;
            if done(&facts) {
                return facts;
            }
            assert!(tokio::time::Instant::now() < deadline, "job {job} did not get there within {limit:?}: {facts:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(20), task).await.expect("stops in time").expect("no panic");
        }
    }
}

fn ended(facts: &[JobEvent]) -> bool {
    facts.iter().any(|f| {
        matches!(
            f,
            JobEvent::JobSucceeded { .. } | JobEvent::JobDeadLettered { .. } | JobEvent::JobDispatchFailed { .. }
        ) || matches!(f, JobEvent::JobFailed { retryable: false, .. })
    })
}

fn count(facts: &[JobEvent], f: impl Fn(&JobEvent) -> bool) -> usize {
    facts.iter().filter(|e| f(e)).count()
}

macro_rules! both_queues {
    ($($behaviour:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $behaviour() { super::$behaviour(false).await; } )* }
        mod redis { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $behaviour() { super::$behaviour(true).await; } )* }
    };
}

both_queues!(
    a_requested_probe_runs_once_and_succeeds,
    a_failing_job_is_retried_with_growing_delays_then_dead_lettered,
    a_permanent_failure_is_not_retried,
    a_panicking_job_is_a_failure_and_the_worker_goes_on,
    a_request_that_cannot_be_queued_is_recorded_and_does_not_block_the_next,
    two_dispatchers_at_once_enqueue_each_job_once,
    finished_messages_are_vacuumed_and_waiting_ones_kept,
);

/// On Redis a push wakes the workers: with a poll of a minute, each job still starts within a second of its request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_on_redis_wakes_idle_workers_long_before_their_poll() {
    let p = Pipeline::start_polling(true, Duration::from_secs(60)).await;
    for _ in 0..3 {
        // Idle first: the workers' last fetch found nothing, and their next poll is a minute away.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let asked = tokio::time::Instant::now();
        let job = p.request(json!({})).await;
        p.wait(job, Duration::from_secs(10), ended).await;
        assert!(asked.elapsed() < Duration::from_secs(2), "the job took {:?} to run", asked.elapsed());
    }
    p.stop().await;
}

async fn a_requested_probe_runs_once_and_succeeds(redis: bool) {
    let p = Pipeline::start(redis).await;
    let job = p.request(json!({"sleep_ms": 10})).await;
    let facts = p.wait(job, Duration::from_secs(20), ended).await;
    assert!(matches!(facts[0], JobEvent::JobStarted { attempt: 1, .. }), "{facts:?}");
    assert_eq!(count(&facts, |f| matches!(f, JobEvent::JobSucceeded { attempt: 1, .. })), 1, "{facts:?}");
    assert_eq!(facts.len(), 2, "{facts:?}");
    p.stop().await;
}

async fn a_failing_job_is_retried_with_growing_delays_then_dead_lettered(redis: bool) {
    let p = Pipeline::start(redis).await;
    let job = p.request(json!({"outcome": "fail", "limits": {"max_attempts": 3, "backoff_ms": 100}})).await;
    let facts = p.wait(job, Duration::from_secs(30), ended).await;
    let attempts: Vec<u32> = facts
        .iter()
        .filter_map(|f| match f {
            JobEvent::JobFailed { attempt, retryable: true, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3], "{facts:#?}");
    let delays: Vec<u64> = facts
        .iter()
        .filter_map(|f| match f {
            JobEvent::JobRetryScheduled { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .collect();
    assert_eq!(delays.len(), 2, "{facts:#?}");
    assert!(delays[1] > delays[0], "delays grow: {delays:?}");
    assert!(
        matches!(facts.last(), Some(JobEvent::JobDeadLettered { attempts: 3, error }) if error.code == "probe.failed")
    );
    p.stop().await;
}

async fn a_permanent_failure_is_not_retried(redis: bool) {
    let p = Pipeline::start(redis).await;
    let job = p.request(json!({"outcome": "fail_permanently"})).await;
    let facts = p.wait(job, Duration::from_secs(20), ended).await;
    assert_eq!(facts.len(), 2, "{facts:#?}");
    assert!(matches!(&facts[1], JobEvent::JobFailed { attempt: 1, retryable: false, .. }));
    p.stop().await;
}

async fn a_panicking_job_is_a_failure_and_the_worker_goes_on(redis: bool) {
    let p = Pipeline::start(redis).await;
    let panicking = p.request(json!({"outcome": "panic", "limits": {"max_attempts": 1}})).await;
    let facts = p.wait(panicking, Duration::from_secs(20), ended).await;
    assert!(
        facts.iter().any(|f| matches!(f, JobEvent::JobFailed { error, .. } if error.code == "runtime.panicked" && error.to_string().contains("probe asked to panic"))),
        "{facts:#?}"
    );
    assert!(matches!(facts.last(), Some(JobEvent::JobDeadLettered { .. })));
    let next = p.request(json!({})).await;
    let facts = p.wait(next, Duration::from_secs(20), ended).await;
    assert!(matches!(facts.last(), Some(JobEvent::JobSucceeded { .. })), "{facts:#?}");
    p.stop().await;
}

async fn a_request_that_cannot_be_queued_is_recorded_and_does_not_block_the_next(redis: bool) {
    let p = Pipeline::start(redis).await;
    let bad = p.request(json!({"outcome": "explode"})).await;
    let stream = StreamId::parse("teleport-1").expect("stream");
    let unknown = NewEvent::new("TeleportRequested", json!({}), Metadata::default());
    let unknown_id = unknown.event_id;
    p.db.db.events.append(&stream, ExpectedVersion::Any, vec![unknown]).await.expect("append");
    let good = p.request(json!({})).await;
    let facts = p.wait(good, Duration::from_secs(20), ended).await;
    assert!(matches!(facts.last(), Some(JobEvent::JobSucceeded { .. })));
    let refused = p.wait(bad, Duration::from_secs(5), ended).await;
    assert!(
        matches!(&refused[..], [JobEvent::JobDispatchFailed { error, .. }] if error.code == "dispatch.request_refused"),
        "{refused:?}"
    );
    let refused = p.wait(unknown_id, Duration::from_secs(5), ended).await;
    assert!(
        matches!(&refused[..], [JobEvent::JobDispatchFailed { requested_by, error }]
            if requested_by == "TeleportRequested" && error.code == "dispatch.no_kind"),
        "{refused:?}"
    );
    p.stop().await;
}

async fn two_dispatchers_at_once_enqueue_each_job_once(redis: bool) {
    let mut p = Pipeline::start(redis).await;
    p.add_dispatcher();
    p.add_dispatcher();
    let mut jobs = Vec::new();
    for _ in 0..40 {
        jobs.push(p.request(json!({})).await);
    }
    for job in &jobs {
        let facts = p.wait(*job, Duration::from_secs(30), ended).await;
        assert_eq!(count(&facts, |f| matches!(f, JobEvent::JobStarted { .. })), 1, "{facts:?}");
        assert_eq!(count(&facts, |f| matches!(f, JobEvent::JobSucceeded { .. })), 1, "{facts:?}");
    }
    assert_eq!(p.queues.messages_ever("diagnostics").await.expect("count"), 40, "one message per job in the queue");
    p.stop().await;
}

async fn finished_messages_are_vacuumed_and_waiting_ones_kept(redis: bool) {
    let p = Pipeline::start(redis).await;
    let mut jobs = Vec::new();
    for _ in 0..5 {
        jobs.push(p.request(json!({})).await);
    }
    for job in &jobs {
        p.wait(*job, Duration::from_secs(20), ended).await;
    }
    // A message due in an hour: waiting, so never vacuumed.
    let later = lawha_domain::jobs::Job {
        id: Uuid::now_v7(),
        kind: "Probe".into(),
        queue: "diagnostics".into(),
        attempt: 1,
        correlation_id: Uuid::now_v7(),
        payload: json!({}),
        max_attempts: 1,
        timeout_ms: 1000,
        backoff_ms: 1000,
    };
    let run_at = Some(chrono::Utc::now() + chrono::Duration::hours(1));
    p.queues.push(&[lawha_jobs::queue::Outgoing { key: later.id, job: later, run_at }]).await.expect("push");
    assert_eq!(p.queues.messages_ever("diagnostics").await.expect("count"), 6);

    let kept = p.queues.vacuum("diagnostics", Duration::from_secs(3600)).await.expect("vacuum");
    assert_eq!(kept, 0, "messages that finished within the hour stay");
    // apalis stamps done_at in whole seconds: a cutoff of "now" catches messages that finished a second ago.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let removed = p.queues.vacuum("diagnostics", Duration::ZERO).await.expect("vacuum");
    assert_eq!(removed, 5, "every finished message goes");
    assert_eq!(p.queues.messages_ever("diagnostics").await.expect("count"), 1, "the waiting message stays");
    assert_eq!(p.queues.vacuum("diagnostics", Duration::ZERO).await.expect("vacuum"), 0, "and only once");
    p.stop().await;
}
