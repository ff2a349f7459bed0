//! Whether the panel's dependencies answer, as background probes last saw them: the database (a connection of
//! the probe's own, pinged every [`PROBE_EVERY`] with `database.unavailable_wait_ms` to answer, so an exhausted
//! pool under load is never taken for an outage) and the job queue and its workers' heartbeats (reported by the
//! pipeline's watcher, `jobs::redispatch`). Requests, readiness and the job pages read these states instead of each waiting for a
//! dead server themselves.

use std::{
    collections::HashMap,
    str::FromStr as _,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sqlx::{Connection as _, postgres::PgConnectOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How often the database probe looks.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// Heartbeats read longer ago than this say nothing any more.
const STALE_HEARTBEATS: Duration = Duration::from_secs(5);

/// The database as the probe last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseState {
    /// Whether the last probe got an answer in time.
    pub reachable: bool,
    /// Probes made so far: a new value after every probe, so a waiter can ask for the next one.
    pub probes: u64,
    /// Why the last probe failed (the driver's words, for the log and signed-in administrators only).
    pub error: Option<String>,
}

/// The job queue as the pipeline last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueState {
    /// The pipeline has not reached the queue yet.
    Connecting,
    /// The queue answers.
    Ok,
    /// The queue does not answer since this time; `error` is the client's words (log and administrators only).
    Unreachable {
        /// Since when.
        since: DateTime<Utc>,
        /// The last error.
        error: String,
    },
}

/// The queue workers' last heartbeats (Unix seconds) by worker name, and when they were read.
type Heartbeats = (std::time::Instant, HashMap<String, i64>);

/// The states, shared by every handler (cheap to clone).
#[derive(Debug, Clone)]
pub struct Availability {
    database: Arc<watch::Sender<DatabaseState>>,
    queue: Arc<Mutex<QueueState>>,
    /// Whether a probe runs (PostgreSQL only: a SQLite file does not go away).
    probing: Arc<AtomicBool>,
    /// The queue workers' last heartbeats (Unix seconds), and when they were read.
    workers: Arc<Mutex<Option<Heartbeats>>>,
    wait: Duration,
}

impl Availability {
    /// Both reachable until a probe says otherwise (the app has just connected to the database); `wait` is how
    /// long a probe, and a request, wait for the database (`database.unavailable_wait_ms`).
    pub fn new(wait: Duration) -> Self {
        let database = DatabaseState { reachable: true, probes: 0, error: None };
        Self {
            database: Arc::new(watch::channel(database).0),
            queue: Arc::new(Mutex::new(QueueState::Connecting)),
            probing: Arc::default(),
            workers: Arc::default(),
            wait,
        }
    }

    /// How long a request waits for a database that does not answer.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The database's state.
    pub fn database(&self) -> DatabaseState {
        self.database.borrow().clone()
    }

    /// Changes of the database's state.
    pub fn database_changes(&self) -> watch::Receiver<DatabaseState> {
        self.database.subscribe()
    }

    /// Waits for the next probe (at most `wait` plus one probe interval) and says whether the database is
    /// reachable; a request that failed asks this before calling the failure its own.
    pub async fn probe_again(&self) -> bool {
        if !self.probing.load(Ordering::Relaxed) {
            return self.database().reachable;
        }
        let mut changes = self.database.subscribe();
        let seen = changes.borrow_and_update().probes;
        let next = async { changes.wait_for(|state| state.probes > seen).await.map(|state| state.reachable) };
        match tokio::time::timeout(self.wait + PROBE_EVERY * 2, next).await {
            Ok(Ok(reachable)) => reachable,
            // The probe stopped (the app is stopping): say what is known.
            _ => self.database().reachable,
        }
    }

    /// The queue's state.
    pub fn queue(&self) -> QueueState {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Records what the pipeline found of the queue; logs a change once.
    pub fn set_queue(&self, state: QueueState) {
        let mut current = self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match (&*current, &state) {
            (QueueState::Unreachable { since, .. }, QueueState::Unreachable { error, .. }) => {
                // Keep when it began.
                let since = *since;
                *current = QueueState::Unreachable { since, error: error.clone() };
                return;
            }
            (QueueState::Ok, QueueState::Unreachable { error, .. }) => {
                tracing::warn!(%error, "the job queue does not answer; commands are still accepted, their jobs wait");
            }
            (QueueState::Unreachable { .. }, QueueState::Ok) => tracing::info!("the job queue answers again"),
            _ => {}
        }
        *current = state;
    }

    /// Records the queue workers' last heartbeats, as the pipeline just read them.
    pub fn set_workers(&self, heartbeats: HashMap<String, i64>) {
        let mut workers = self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *workers = Some((std::time::Instant::now(), heartbeats));
    }

    /// Whether `worker`, which started an attempt at `started` (Unix seconds), has missed its heartbeat: it beats
    /// every `HEARTBEAT`, so one later than that (and a second's rounding) is lost, or it is no longer registered
    /// at all (the queue gave up on it). False when the heartbeats were not read lately: then nobody knows.
    pub fn worker_lost(&self, worker: &str, started: i64) -> bool {
        let workers = self.workers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((read_at, heartbeats)) = workers.as_ref() else { return false };
        if read_at.elapsed() > STALE_HEARTBEATS {
            return false;
        }
        let late = i64::try_from(lawha_jobs::queue::HEARTBEAT.as_secs()).unwrap_or(5) + 2;
        let now = Utc::now().timestamp();
        match heartbeats.get(worker) {
            Some(seen) => now - seen > late,
            None => now - started > late,
        }
    }

    /// Probes the PostgreSQL database at `url` every [`PROBE_EVERY`] until `stop` is cancelled.
    pub async fn watch_postgres(self, url: String, stop: CancellationToken) {
        let options = match PgConnectOptions::from_str(&url) {
            Ok(options) => options.application_name("lawha-probe"),
            Err(error) => {
                tracing::warn!(%error, "the database probe cannot read the database URL; it does not run");
                return;
            }
        };
        let mut connection: Option<sqlx::PgConnection> = None;
        self.probing.store(true, Ordering::Relaxed);
        loop {
            let answer = tokio::time::timeout(self.wait, async {
                match connection.as_mut() {
                    Some(open) => open.ping().await,
                    None => {
                        connection = Some(sqlx::PgConnection::connect_with(&options).await?);
                        Ok(())
                    }
                }
            })
            .await;
            let error = match answer {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(error.to_string()),
                Err(_) => Some(format!("no answer within {} ms", self.wait.as_millis())),
            };
            if error.is_some() {
                // A broken or stuck connection is not reused: the next probe connects afresh.
                connection = None;
            }
            self.record(error);
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
        self.probing.store(false, Ordering::Relaxed);
    }

    /// Publishes a probe's outcome; logs a change once.
    fn record(&self, error: Option<String>) {
        self.database.send_modify(|state| {
            match (&error, state.reachable) {
                (Some(error), true) => tracing::warn!(%error, "the database does not answer; requests get 503"),
                (None, false) => tracing::info!("the database answers again"),
                _ => {}
            }
            state.reachable = error.is_none();
            state.error = error;
            state.probes += 1;
        });
    }
}
