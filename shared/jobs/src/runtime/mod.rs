//! The worker runtime: every worker binary, and `lawha serve` for its in-process queues, runs jobs on it.
//!
//! It owns what DESIGN.md asks of every worker: unique worker names (`queue-host-pid-run`), heartbeats and the
//! orphan threshold set explicitly (5 s × 3, so a killed worker's job runs again within 30 s), a Redis connection
//! that survives stalls of seconds, restart of a worker that fails, retries with exponential backoff and jitter and
//! a maximum of attempts counted in the job's own events (apalis-redis re-queues orphans without counting), a
//! timeout per kind, panics caught as failures, permanent errors not retried, graceful shutdown, a tracing span
//! and Prometheus metrics per job. apalis only carries messages: every message is acknowledged, and retries are new
//! messages the dispatcher queues from `JobRetryScheduled` events (the log is the outbox, invariant 2).
//!
//! A worker binary is a short `main`: load the configuration, open the database and the queues, register a
//! handler per kind, call [`Runtime::run`] with the queues it serves and the shutdown signal.

mod execute;
mod poll;

use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

use anyhow::Context as _;
use apalis::prelude::{
    BackendExt as _, BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt as _, WorkerContext,
};
use async_trait::async_trait;
use lawha_domain::{Message, jobs::Job};
use lawha_store::{Database, EventStore};
use serde_json::Value;

use crate::{joblog::JobLog, queue::Queues, registry};

/// How a job body failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Running it again may help (a lost connection, a busy resource); retried up to the kind's maximum.
    #[error("{0}")]
    Retryable(Message),
    /// Running it again cannot help (the input is wrong, the target is gone); the job fails at once.
    #[error("{0}")]
    Permanent(Message),
}

/// An error with a cause chain (a database driver's, the system's) is data: its text is shown as it is.
impl From<anyhow::Error> for JobError {
    fn from(error: anyhow::Error) -> Self {
        Self::Retryable(Message::text(format!("{error:#}")))
    }
}

/// What a job body receives.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The message, with the attempt being run.
    pub job: Job,
    /// The worker's unique name.
    pub worker: String,
    log: JobLog,
    shutdown: WorkerContext,
}

impl JobContext {
    /// Appends a line to the job's log (shown live in the UI, in the reader's language). A line that cannot be
    /// stored is logged and dropped: output never fails a job.
    pub async fn log(&self, line: Message) {
        if let Err(error) = self.log.write(self.job.id, self.job.attempt, &line).await {
            tracing::warn!(%error, "could not store a job log line");
        }
    }

    /// True once the worker is stopping: long jobs should wind down (their attempt is then abandoned and runs
    /// again elsewhere).
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_shutting_down()
    }

    /// A context outside any runtime, for tests that run a handler directly: its lines go to `db`'s job log and it
    /// never reports a shutdown (`lawha_jobs::testkit::job_context`).
    #[cfg(feature = "testkit")]
    pub(crate) fn detached(db: &Database, job: Job, worker: &str) -> Self {
        Self {
            job,
            worker: worker.to_owned(),
            log: JobLog::new(db.read_models.clone()),
            shutdown: WorkerContext::new(worker),
        }
    }
}

/// The body of one kind of job.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt. The result (small: counts, ids) is recorded in `JobSucceeded`.
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError>;
}

/// How a runtime runs its workers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Jobs run at once per queue.
    pub concurrency: usize,
    /// How often an idle queue is polled.
    pub poll: Duration,
    /// How long in-flight jobs get to finish after the shutdown signal.
    pub grace: Duration,
    /// This machine's host name (`deployments.host`): the per-host kinds run from its queues.
    pub host: String,
}

impl Settings {
    /// The settings of `config.jobs`.
    pub fn from_config(config: &lawha_config::Config) -> Self {
        Self {
            concurrency: usize::try_from(config.jobs.concurrency).unwrap_or(8),
            poll: Duration::from_millis(config.jobs.poll_interval_ms),
            grace: Duration::from_secs(config.jobs.shutdown_grace_secs),
            host: config.deployments.host.clone(),
        }
    }
}

/// Workers for some queues, with the handlers of the kinds they run.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("kinds", &self.inner.handlers.keys().collect::<Vec<_>>()).finish()
    }
}

struct Inner {
    store: Arc<dyn EventStore>,
    queues: Queues,
    log: JobLog,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    settings: Settings,
}

impl Runtime {
    /// A runtime over the database's log and job log, with no handlers yet.
    pub fn new(db: &Database, queues: Queues, settings: Settings) -> Self {
        let inner = Inner {
            store: Arc::clone(&db.events),
            queues,
            log: JobLog::new(db.read_models.clone()),
            handlers: HashMap::new(),
            settings,
        };
        Self { inner: Arc::new(inner) }
    }

    /// Registers the body of `kind`. Panics when the kind is not in the registration list: a typo there is a
    /// programming error that the first start reveals.
    #[must_use]
    pub fn handle(mut self, kind: &str, handler: impl Handler) -> Self {
        let spec = registry::by_kind(kind).unwrap_or_else(|| panic!("job kind {kind} is not in registry::KINDS"));
        Arc::get_mut(&mut self.inner)
            .expect("handlers are registered before the runtime runs")
            .handlers
            .insert(spec.kind, Arc::new(handler));
        self
    }

    /// The queues whose every kind has a handler here: the fixed ones, and the one of this host for each per-host
    /// family (`deployments.<settings.host>`).
    pub fn servable_queues(&self) -> Vec<String> {
        let families = registry::KINDS.iter().filter(|k| k.per_host).map(|k| k.queue);
        let mut families: Vec<&str> = families.collect();
        families.dedup();
        let served = |family: &str, per_host: bool| {
            let mut kinds = registry::KINDS.iter().filter(|k| k.queue == family && k.per_host == per_host).peekable();
            kinds.peek().is_some() && kinds.all(|k| self.inner.handlers.contains_key(k.kind))
        };
        let fixed = registry::QUEUES.iter().copied().filter(|q| served(q, false)).map(str::to_owned);
        let hosts = families
            .into_iter()
            .filter(|f| served(f, true))
            .map(|f| registry::queue_of_host(f, &self.inner.settings.host));
        fixed.chain(hosts).collect()
    }

    /// Runs workers on `queues` until `shutdown` resolves; then stops taking jobs, lets in-flight jobs finish
    /// within the grace period and returns.
    pub async fn run(
        self,
        queues: &[String],
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if queues.is_empty() {
            shutdown.await;
            return Ok(());
        }
        let host = hostname();
        let pid = std::process::id();
        let mut monitor = Monitor::new();
        let mut listeners = Listeners(Vec::new());
        for queue in queues {
            self.inner.queues.remember(queue).await?;
            let (inner, queue) = (Arc::clone(&self.inner), queue.clone());
            let batch = inner.settings.concurrency;
            let prefix = format!("{queue}-{host}-{pid}");
            let name = move |run: usize| format!("{prefix}-{run}");
            if let Some(storage) = inner.queues.redis_storage(&queue, batch) {
                let pushed = inner.queues.pushes(&queue).map(|(notify, listener)| {
                    listeners.0.push(listener);
                    notify
                });
                monitor = monitor.register(move |run| {
                    let wake = poll::Every::new(inner.settings.poll, pushed.clone());
                    WorkerBuilder::new(name(run))
                        .backend(storage.clone().poll_with_strategy(wake))
                        .data(Arc::clone(&inner))
                        .concurrency(inner.settings.concurrency)
                        .catch_panic()
                        .build(serve)
                });
            } else if let Some(storage) = inner.queues.sqlite_storage(&queue, batch) {
                monitor = monitor.register(move |run| {
                    WorkerBuilder::new(name(run))
                        .backend(storage.clone().poll_with_strategy(poll::Every::new(inner.settings.poll, None)))
                        .data(Arc::clone(&inner))
                        .concurrency(inner.settings.concurrency)
                        .catch_panic()
                        .build(serve)
                });
            }
        }
        tracing::info!(queues = ?queues, backend = self.inner.queues.backend_name(), "workers starting");
        monitor
            .should_restart(|ctx, error| {
                // A worker stops on a queue error (Redis gone, the queue file locked); a new one (with a new name,
                // so the queue does not take it for the old one) takes over. apalis restarts it after its own
                // pause, so a long outage does not spin.
                tracing::warn!(worker = ctx.name(), %error, restarts = ctx.restarts(), "worker failed; restarting it");
                metrics::counter!("lawha_worker_restarts_total").increment(1);
                true
            })
            .shutdown_timeout(self.inner.settings.grace)
            .run_with_signal(async move {
                shutdown.await;
                tracing::info!("workers stopping: no new jobs, in-flight ones finish");
                Ok(())
            })
            .await
            .context("running the workers")?;
        drop(listeners);
        tracing::info!("workers stopped");
        Ok(())
    }
}

/// The tasks listening for push notices, stopped with the workers however `run` returns.
struct Listeners(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Listeners {
    fn drop(&mut self) {
        for listener in &self.0 {
            listener.abort();
        }
    }
}

/// apalis' handler: every message is acknowledged once its outcome is recorded. Only a failure to record it
/// (the database is down) returns an error, so the queue delivers the message again.
///
/// The job runs on a task of its own: apalis polls every job of every worker inside the one task of its monitor,
/// so without this the jobs of a process would take turns on one thread, and a job's appends would wait for the
/// others' turns on one thread instead of spreading over the runtime's threads.
async fn serve(job: Job, inner: Data<Arc<Inner>>, worker: WorkerContext) -> Result<(), BoxDynError> {
    let inner = Arc::clone(&inner);
    let run = tokio::spawn(async move { execute::run(&inner, job, worker).await });
    match run.await {
        Ok(result) => result.map_err(|e| -> BoxDynError { e.into() }),
        // For apalis and the operator's log only: the message goes back to the queue, nothing is recorded.
        Err(joined) => Err(format!("the job's task failed: {joined}").into()),
    }
}

/// This machine's name, for worker names.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutdown requested");
}
