//! The dispatcher (DESIGN.md invariant 2: the event log is the outbox). A subscriber with its own checkpoint, like
//! a projection: it reads the events after its checkpoint, pushes every message they ask for to its queue with the
//! asking event's id as idempotency key, and only then advances the checkpoint. A crash in between pushes again,
//! and the queue drops the copy; two dispatchers at once push the same messages, and the queue keeps one.
//!
//! What it queues: each `…Requested` event a registered kind answers (the job's first attempt), and the
//! `JobRetryScheduled` / `JobRetryRequested` facts of job streams (later attempts, due at their `run_at`). A
//! request it cannot queue (no kind answers it, or the kind refuses its data) becomes a `JobDispatchFailed` fact
//! on the job's stream instead of holding up everything behind it. While the queue is unreachable it retries with
//! backoff and resumes where it stopped; requests keep being accepted meanwhile, since they only append events.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Message, Metadata, RecordedEvent,
    jobs::{JobEvent, JobState},
};
use lawha_store::{Database, EventFilter, StoreError};
use tokio_util::sync::CancellationToken;

use crate::{
    queue::{Outgoing, QueueError, Queues},
    registry,
};

/// The dispatcher's checkpoint name.
pub const CHECKPOINT: &str = "job_dispatcher";
/// Due messages a queue may hold before the dispatcher waits for workers to catch up.
const MAX_DUE: u64 = 5000;
/// How long the dispatcher waits before looking again at a full queue.
const FULL_WAIT: Duration = Duration::from_millis(25);
/// How long the dispatcher waits after a wake-up before reading: under load a step then carries the requests of a
/// few moments (one read, one push, one checkpoint write) instead of one append's; it adds as much to a job's wait
/// before it starts.
const GATHER: Duration = Duration::from_millis(3);
/// How long a queue's depth, as read, is trusted (plus what was pushed since).
const DEPTH_FRESH: Duration = Duration::from_secs(1);

/// Why a dispatch step did not advance.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The event log or the checkpoint could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue could not be reached.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A queue is full; workers are behind (or none runs).
    #[error("queue {queue} holds {due} due messages; waiting for workers before queueing more")]
    Full {
        /// The queue.
        queue: String,
        /// Its due messages.
        due: u64,
    },
}

impl From<sqlx::Error> for DispatchError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<lawha_store::AppendError> for DispatchError {
    fn from(error: lawha_store::AppendError) -> Self {
        match error {
            lawha_store::AppendError::Store(e) => Self::Store(e),
            other => Self::Store(StoreError::Corrupt { position: 0, reason: other.to_string() }),
        }
    }
}

/// Feeds the queues from the log.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    db: Database,
    queues: Queues,
    page: i64,
    poll: Duration,
}

/// Where a running dispatcher stands: its checkpoint as it last wrote it (None: read it again), and each queue's
/// due messages as last read plus what it pushed since.
#[derive(Debug, Default)]
struct Cursor {
    position: Option<i64>,
    due: HashMap<String, (u64, Instant)>,
}

/// What one event asks of the dispatcher.
enum Ask {
    Push(Outgoing),
    Refuse(Message),
}

impl Dispatcher {
    /// A dispatcher reading `page` events at a time, polling every `poll` when no wake-up comes.
    pub fn new(db: Database, queues: Queues, page: u32, poll: Duration) -> Self {
        Self { db, queues, page: i64::from(page.max(1)), poll }
    }

    /// Where the dispatcher has got to.
    pub async fn checkpoint(&self) -> Result<i64, StoreError> {
        lawha_store::projection::checkpoint(&self.db, CHECKPOINT).await
    }

    /// Handles one page of events; returns how many events it read (0 when caught up).
    pub async fn step(&self) -> Result<usize, DispatchError> {
        self.advance(&mut Cursor::default()).await
    }

    /// One page after the cursor's position (read from `checkpoints` when unknown); the cursor follows.
    async fn advance(&self, cursor: &mut Cursor) -> Result<usize, DispatchError> {
        let from = match cursor.position.take() {
            Some(position) => position,
            None => self.checkpoint().await?,
        };
        let events = self.db.events.read_all(from, self.page, &EventFilter::all()).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            cursor.position = Some(from);
            return Ok(0);
        };
        let mut pushes = Vec::new();
        let mut refusals = Vec::new();
        for event in &events {
            match ask(event) {
                Some(Ask::Push(outgoing)) => pushes.push(outgoing),
                Some(Ask::Refuse(error)) => refusals.push((event, error)),
                None => {}
            }
        }
        if !pushes.is_empty() {
            let queues: BTreeSet<&str> = pushes.iter().map(|o| o.job.queue.as_str()).collect();
            for queue in queues {
                let adding = pushes.iter().filter(|o| o.job.queue == queue).count();
                self.room(queue, u64::try_from(adding).unwrap_or(u64::MAX), &mut cursor.due).await?;
            }
            self.queues.push(&pushes).await?;
            for o in &pushes {
                metrics::counter!("lawha_jobs_dispatched_total", "queue" => o.job.queue.clone()).increment(1);
            }
        }
        for (event, error) in refusals {
            self.refuse(event, error).await?;
        }
        // Compare-and-set: when another dispatcher moved the checkpoint meanwhile, it pushed the same messages; the
        // next step reads where it got to.
        let mut conn = self.db.read_models.acquire().await?;
        let moved = lawha_store::projection::claim(&mut conn, CHECKPOINT, from, last).await?;
        cursor.position = moved.then_some(last);
        Ok(events.len())
    }

    /// Refuses (`Full`) when `queue` holds too many due messages to take `adding` more. Its depth is read from the
    /// queue only when what is known of it is a second old, or when the messages pushed since could have filled it:
    /// reading it before every push cost a Redis round trip per page.
    async fn room(
        &self,
        queue: &str,
        adding: u64,
        known: &mut HashMap<String, (u64, Instant)>,
    ) -> Result<(), DispatchError> {
        if let Some((due, at)) = known.get_mut(queue)
            && at.elapsed() < DEPTH_FRESH
            && *due + adding <= MAX_DUE / 2
        {
            *due += adding;
            return Ok(());
        }
        let due = self.queues.depth(queue).await?.due;
        if due > MAX_DUE {
            known.remove(queue);
            return Err(DispatchError::Full { queue: queue.to_owned(), due });
        }
        known.insert(queue.to_owned(), (due + adding, Instant::now()));
        Ok(())
    }

    /// Records that a request could not be queued, on the job's stream, once whoever records it.
    async fn refuse(&self, event: &RecordedEvent, error: Message) -> Result<(), DispatchError> {
        tracing::warn!(event_type = %event.event_type, position = event.position, %error, "request not queued");
        metrics::counter!("lawha_jobs_dispatch_failed_total").increment(1);
        let fact = JobEvent::JobDispatchFailed { requested_by: event.event_type.clone(), error };
        let metadata = Metadata {
            actor: Some("system:dispatcher".into()),
            correlation_id: event.metadata.correlation_id.or(Some(event.event_id)),
            causation_id: Some(event.event_id),
            ..Metadata::default()
        };
        let new = fact.to_new_event_with_id(fact.event_id(event.event_id), metadata);
        self.db.events.append(&JobState::stream(event.event_id), ExpectedVersion::Any, vec![new]).await?;
        Ok(())
    }

    /// Dispatches until `stop` is cancelled: wakes on new events (or every poll interval), backs off while the
    /// queue or the database fails.
    pub async fn run(self, stop: CancellationToken) {
        let mut wake = self.db.events.wakeups();
        let mut failures = 0u32;
        let mut cursor = Cursor::default();
        while !stop.is_cancelled() {
            let head = *wake.borrow_and_update();
            let wait = match self.advance(&mut cursor).await {
                Ok(0) => {
                    failures = 0;
                    if let Some(at) = cursor.position {
                        #[allow(clippy::cast_precision_loss)] // positions stay far below 2^52
                        metrics::gauge!("lawha_dispatcher_lag").set((head - at).max(0) as f64);
                    }
                    tokio::select! {
                        () = stop.cancelled() => {}
                        woke = tokio::time::timeout(self.poll, wake.changed()) => {
                            if matches!(woke, Ok(Ok(()))) {
                                // Let the requests of the next moments join this step's page and push.
                                tokio::time::sleep(GATHER).await;
                            }
                        }
                    }
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    continue;
                }
                // Backpressure, not a failure: the workers are draining the queue, so look again soon. Backing off
                // like a failure would let the queue run dry while the dispatcher sleeps for seconds.
                Err(DispatchError::Full { queue, due }) => {
                    tracing::debug!(%queue, due, "queue full; waiting for workers before queueing more");
                    metrics::counter!("lawha_dispatcher_full_total").increment(1);
                    FULL_WAIT
                }
                Err(error) => {
                    failures += 1;
                    let wait = Duration::from_millis(100 * 2u64.pow(failures.min(7))).min(Duration::from_secs(10));
                    // Logged when it starts failing and then every ten tries, not on every retry.
                    if failures == 1 || failures.is_multiple_of(10) {
                        tracing::warn!(%error, failures, retry_in_ms = wait.as_millis(), "dispatching waits");
                    }
                    metrics::counter!("lawha_dispatcher_retries_total").increment(1);
                    wait
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The queues it pushes to, for the depth sampler.
    pub fn queues(&self) -> &Queues {
        &self.queues
    }
}

/// What an event asks for: a message to push, a refusal to record, or nothing.
fn ask(event: &RecordedEvent) -> Option<Ask> {
    if event.stream.category() == JobState::CATEGORY {
        let (job, run_at) = match JobEvent::from_recorded(event).ok()? {
            JobEvent::JobRetryScheduled { job, run_at, .. } => (job, Some(run_at)),
            JobEvent::JobRetryRequested { job, .. } => (job, None),
            _ => return None,
        };
        return Some(Ask::Push(Outgoing { job, key: event.event_id, run_at }));
    }
    if !registry::is_request(&event.event_type) {
        return None;
    }
    Some(match registry::job_for(event) {
        Ok(job) => Ask::Push(Outgoing { job, key: event.event_id, run_at: None }),
        Err(error) => Ask::Refuse(error),
    })
}

/// Samples every queue's depth into the metrics every `every` (queue depth and the age of the oldest due message).
pub async fn sample_depths(queues: Arc<Queues>, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Ok(known) = queues.known().await else { continue };
        for queue in known {
            if let Ok(depth) = queues.depth(&queue).await {
                #[allow(clippy::cast_precision_loss)] // queue depths are small
                {
                    metrics::gauge!("lawha_queue_depth", "queue" => queue.clone()).set(depth.due as f64);
                    metrics::gauge!("lawha_queue_delayed", "queue" => queue.clone()).set(depth.delayed as f64);
                    metrics::gauge!("lawha_queue_oldest_pending_seconds", "queue" => queue)
                        .set(depth.oldest_due_secs as f64);
                }
            }
        }
    }
}
