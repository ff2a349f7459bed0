//! Group commit, the loop: one task per store receives appends, takes every request already waiting (up to a
//! bound) and hands them to the backend as one batch, so concurrent writers share one transaction and one
//! commit while positions stay serialized (invariant 5).

use std::{future::Future, sync::Arc};

use lawha_domain::{ExpectedVersion, NewEvent, StreamId};
use tokio::sync::{mpsc, oneshot, watch};

use crate::{
    AppendError, Appended, StoreError,
    batch::{AppendRequest, Plan},
};

/// The most events one transaction carries; large enough to amortize a commit, small enough to keep each
/// transaction short for readers and for the append lock.
const MAX_BATCH_EVENTS: usize = 2000;

/// The handle callers append through; the task behind it stops when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct Appender {
    queue: mpsc::Sender<AppendRequest>,
    wake: Arc<watch::Sender<i64>>,
}

impl Appender {
    /// Starts the appender task with the simple loop: gather a batch, `write` it in one transaction (which gives
    /// the requests back with the plan), answer. SQLite's single writer needs nothing more.
    pub(crate) fn start<F, Fut>(write: F) -> Self
    where
        F: Fn(Vec<AppendRequest>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = (Vec<AppendRequest>, Result<Plan, StoreError>)> + Send,
    {
        Self::spawn(move |mut rx, wake| async move {
            while let Some(first) = rx.recv().await {
                let batch = gather(&mut rx, first);
                record_batch(batch.len());
                let (batch, outcome) = write(batch).await;
                if let Ok(Plan { head: Some((head, _)), .. }) = &outcome {
                    notify(&wake, *head);
                }
                answer(batch, outcome.map(|p| p.results));
            }
        })
    }

    /// Starts one task that owns the queue and runs `run` on it: for a backend with its own batching loop (the
    /// PostgreSQL pipeline), which still gathers batches with [`gather`] and answers with [`answer`].
    pub(crate) fn spawn<F, Fut>(run: F) -> Self
    where
        F: FnOnce(mpsc::Receiver<AppendRequest>, Arc<watch::Sender<i64>>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (queue, rx) = mpsc::channel::<AppendRequest>(4096);
        let wake = Arc::new(watch::channel(0).0);
        tokio::spawn(run(rx, Arc::clone(&wake)));
        Self { queue, wake }
    }

    /// Queues one append and waits for its own answer.
    pub(crate) async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        let json = crate::batch::prepare(&events)?;
        let (reply, answer) = oneshot::channel();
        let request = AppendRequest { stream: stream.clone(), expected, events, json, reply };
        self.queue.send(request).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The wake-up channel subscribers watch.
    pub(crate) fn wakeups(&self) -> watch::Receiver<i64> {
        self.wake.subscribe()
    }

    /// The sending side, for backends that also learn of other processes' appends.
    pub(crate) fn wake_sender(&self) -> Arc<watch::Sender<i64>> {
        Arc::clone(&self.wake)
    }
}

/// A batch: `first`, then every request already queued, up to the batch bound.
pub(crate) fn gather(rx: &mut mpsc::Receiver<AppendRequest>, first: AppendRequest) -> Vec<AppendRequest> {
    let mut batch = vec![first];
    gather_more(rx, &mut batch);
    batch
}

/// Adds every request already queued to `batch`, up to the batch bound.
pub(crate) fn gather_more(rx: &mut mpsc::Receiver<AppendRequest>, batch: &mut Vec<AppendRequest>) {
    let mut events: usize = batch.iter().map(|r| r.events.len()).sum();
    while events < MAX_BATCH_EVENTS
        && let Ok(next) = rx.try_recv()
    {
        events += next.events.len();
        batch.push(next);
    }
}

/// Counts one transaction carrying `requests` appends (the bench reads the count as commits).
pub(crate) fn record_batch(requests: usize) {
    #[allow(clippy::cast_precision_loss)] // a batch length is far below 2^52
    metrics::histogram!("lawha_append_batch_requests").record(requests as f64);
}

/// Raises the known head; never lowers it.
pub(crate) fn notify(wake: &watch::Sender<i64>, head: i64) {
    wake.send_if_modified(|known| {
        let raised = head > *known;
        *known = head.max(*known);
        raised
    });
}

/// Sends a batch's answers, or the same failure to every caller when the transaction failed.
pub(crate) fn answer(batch: Vec<AppendRequest>, outcome: Result<Vec<Result<Appended, AppendError>>, StoreError>) {
    match outcome {
        Ok(results) => {
            let mut appended = 0u64;
            for (request, result) in batch.into_iter().zip(results) {
                if let Ok(a) = &result
                    && !a.already_applied
                {
                    appended += u64::try_from(a.last_position - a.first_position + 1).unwrap_or(0);
                }
                // A caller that gave up (dropped its receiver) needs no answer.
                let _ = request.reply.send(result);
            }
            metrics::counter!("lawha_events_appended_total").increment(appended);
        }
        Err(error) => {
            tracing::warn!(error = %error, requests = batch.len(), "append batch failed");
            for request in batch {
                let _ = request.reply.send(Err(error.clone().into()));
            }
        }
    }
}
