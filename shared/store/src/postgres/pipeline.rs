//! Group commit on PostgreSQL, decided ahead of the lock.
//!
//! One task owns the append queue and knows the head of the log: the one its last write left, as long as no other
//! process appends. It decides each batch against that head without reading anything, on top of the batches still
//! in flight (whose outcome it assumes), and sends the rows in one `lawha_append` call that takes the lock, checks
//! the head and the assumptions, and commits, in a single round trip. What it cannot know without reading (the
//! version of a stream written with `ExpectedVersion::Any` and not touched by a batch in flight, or the head
//! itself after a start or a failure) it reads first, without any lock.
//!
//! Up to [`DEPTH`] calls are in flight: while one holds the lock the next is already queued on it. The lock is
//! thus held only while the server works, which is what lets 32 writers reach the raw single-row INSERT rate
//! (`lawha bench append`).
//!
//! When a call does not land (another process appended, an assumption was wrong, the call failed), that batch and
//! every batch behind it are decided again, in order: first on a fresh read, then, if the head moved once more,
//! under the lock, which always makes progress. Positions stay gap-free and commit-ordered (invariant 5) and every
//! caller still gets its own answer.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use chrono::Utc;
use lawha_domain::ExpectedVersion;
use sqlx::PgPool;
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};
use uuid::Uuid;

use super::append::{self, Outcome, Write};
use crate::{
    AppendError, Appended, ChainKey, StoreError,
    appender::{answer, gather, gather_more, notify, record_batch},
    batch::{self, AppendRequest, Loaded, StoredRef},
};

/// `lawha_append` calls in flight at once: one holding the lock, one queued on it. More only splits the waiting
/// appends into smaller batches.
const DEPTH: usize = 2;

/// How long the pipeline writes under the lock after another process moved the head: while several processes
/// append at once, a batch decided ahead of the lock would mostly find the head moved and cost two round trips
/// for nothing.
const CONTENTION: std::time::Duration = std::time::Duration::from_secs(1);

/// While writing under the lock, a batch of fewer appends than this waits [`LINGER`] for more before it is sent.
const LINGER_BELOW: usize = 64;
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

/// A decided batch whose write has not been confirmed yet.
#[derive(Debug)]
struct InFlight {
    requests: Vec<AppendRequest>,
    results: Vec<Result<Appended, AppendError>>,
    /// The head the batch was decided on, and the head it leaves (equal when it writes nothing).
    from: (i64, Vec<u8>),
    to: (i64, Vec<u8>),
    /// What later batches assume of this one: the final versions of its streams, its new events.
    versions: Vec<(String, i64)>,
    ids: Vec<(Uuid, StoredRef)>,
    /// The `lawha_append` call; None when every request was refused or already applied, so nothing is written and
    /// the answers hold as soon as the batches before it land.
    call: Option<JoinHandle<Landed>>,
}

/// How a call came back: the write it carried (to send again when it came early) and the function's answer.
type Landed = Result<(Write, Outcome), sqlx::Error>;

/// What the pipeline works with.
#[derive(Debug)]
struct Pipeline {
    pool: PgPool,
    key: ChainKey,
    wake: Arc<watch::Sender<i64>>,
    flying: VecDeque<InFlight>,
    /// The head after the last batch that landed, while this process is the only one known to append; None after
    /// a start or a failure, until a read or a write tells again.
    head: Option<(i64, Vec<u8>)>,
    /// Until when to write under the lock, because another process appended recently.
    contended_until: Option<tokio::time::Instant>,
}

/// The appender task: runs until every handle to the store is gone, then settles what is in flight.
pub(super) async fn run(
    pool: PgPool,
    key: ChainKey,
    mut rx: mpsc::Receiver<AppendRequest>,
    wake: Arc<watch::Sender<i64>>,
) {
    let mut p = Pipeline { pool, key, wake, flying: VecDeque::new(), head: None, contended_until: None };
    while let Some(batch) = p.next_batch(&mut rx).await {
        p.decide(batch).await;
    }
    while !p.flying.is_empty() {
        p.settle_front().await;
    }
}

impl Pipeline {
    /// The next batch, answering in-flight batches as their calls return meanwhile. With [`DEPTH`] calls in
    /// flight it first waits for the oldest: a new call could only queue behind them, and the appends arriving
    /// meanwhile make the next batch larger.
    async fn next_batch(&mut self, rx: &mut mpsc::Receiver<AppendRequest>) -> Option<Vec<AppendRequest>> {
        loop {
            if self.flying.len() >= DEPTH {
                self.settle_front().await;
                continue;
            }
            let first = match self.flying.front_mut() {
                None => rx.recv().await?,
                Some(InFlight { call: None, .. }) => {
                    self.settle_front().await;
                    continue;
                }
                Some(InFlight { call: Some(call), .. }) => {
                    tokio::select! {
                        biased;
                        landed = call => {
                            let front = self.flying.pop_front().expect("the front is in flight");
                            self.settle(front, joined(landed).map(Some)).await;
                            continue;
                        }
                        first = rx.recv() => first?,
                    }
                }
            };
            let mut batch = gather(rx, first);
            if self.contended() && batch.len() < LINGER_BELOW {
                // Every batch under the lock costs the lock a hand-over between processes; a batch that waits a
                // moment for more appends costs less of it per event (measured: about +5% jobs/s in the bench).
                tokio::time::sleep(LINGER).await;
                gather_more(rx, &mut batch);
            }
            return Some(batch);
        }
    }

    /// Decides a batch and sends its write, reading first only what it cannot know.
    async fn decide(&mut self, requests: Vec<AppendRequest>) {
        if self.contended() {
            while !self.flying.is_empty() {
                self.settle_front().await;
            }
            return self.write_locked(requests).await;
        }
        loop {
            let (state, assumed) = match self.assume(&requests) {
                Some(known) => known,
                None => match append::load(&self.pool, &requests).await {
                    Ok(loaded) => match self.on_top_of_flying(loaded) {
                        Some(state) => (state, Vec::new()),
                        // Another process appended: let ours land (or fail), then read again.
                        None => {
                            self.settle_front().await;
                            continue;
                        }
                    },
                    Err(_) if !self.flying.is_empty() => {
                        self.settle_front().await;
                        continue;
                    }
                    Err(e) => return answer(requests, Err(StoreError::from(e))),
                },
            };
            // next_batch left room for this call: fewer than DEPTH are in flight.
            return self.send(requests, state, assumed);
        }
    }

    /// The state to decide `requests` on without reading: the known head after the batches in flight, their
    /// stream versions and ids, and for every other stream the version its request expects (which `lawha_append`
    /// checks). None when the head is unknown or a request appends with `ExpectedVersion::Any` to a stream no
    /// batch in flight has touched.
    fn assume(&self, requests: &[AppendRequest]) -> Option<(Loaded, Vec<(String, i64)>)> {
        let head = self.flying.back().map(|f| &f.to).or(self.head.as_ref())?.clone();
        let mut state =
            Loaded { head_position: head.0, head_chain: head.1, versions: HashMap::new(), existing: HashMap::new() };
        for f in &self.flying {
            state.versions.extend(f.versions.iter().cloned());
            state.existing.extend(f.ids.iter().cloned());
        }
        let mut assumed = Vec::new();
        for r in requests {
            let stream = r.stream.as_str();
            if state.versions.contains_key(stream) {
                continue;
            }
            let ExpectedVersion::Exact(version) = r.expected else { return None };
            state.versions.insert(stream.to_owned(), version);
            assumed.push((stream.to_owned(), version));
        }
        Some((state, assumed))
    }

    /// `loaded` with the in-flight batches it does not include yet laid on top, or None when its head is not one
    /// of the in-flight boundaries.
    fn on_top_of_flying(&self, mut state: Loaded) -> Option<Loaded> {
        let head = (state.head_position, state.head_chain.clone());
        let pending = match self.flying.back() {
            None => 0,
            Some(last) if last.to == head => 0,
            Some(_) => self.flying.len() - self.flying.iter().position(|f| f.from == head)?,
        };
        for f in self.flying.iter().skip(self.flying.len() - pending) {
            state.versions.extend(f.versions.iter().cloned());
            state.existing.extend(f.ids.iter().cloned());
            (state.head_position, state.head_chain) = f.to.clone();
        }
        Some(state)
    }

    fn send(&mut self, requests: Vec<AppendRequest>, state: Loaded, assumed: Vec<(String, i64)>) {
        let from = (state.head_position, state.head_chain.clone());
        let plan = batch::plan(&self.key, state, &requests, Utc::now());
        let versions = plan.streams.iter().map(|(s, _, v)| (s.clone(), *v)).collect();
        let ids =
            plan.rows.iter().map(|r| (r.event_id, StoredRef { position: r.position, version: r.version })).collect();
        let (to, call) = match plan.head {
            None => (from.clone(), None),
            Some(to) => {
                record_batch(requests.len());
                let (rows, streams) = (plan.rows, plan.streams);
                let w = Write { from: from.clone(), to: to.clone(), assumed, rows, streams };
                let pool = self.pool.clone();
                (to, Some(tokio::spawn(async move { write_in_turn(&pool, w).await })))
            }
        };
        self.flying.push_back(InFlight { requests, results: plan.results, from, to, versions, ids, call });
    }

    /// Waits for the oldest in-flight batch and answers its callers; false when it did not land and was decided
    /// again (with everything behind it).
    async fn settle_front(&mut self) -> bool {
        let Some(mut front) = self.flying.pop_front() else { return true };
        let landed = match front.call.take() {
            None => Ok(None),
            Some(call) => joined(call.await).map(Some),
        };
        self.settle(front, landed).await
    }

    /// Answers a finished batch; `landed` is None for a batch that writes nothing.
    async fn settle(&mut self, front: InFlight, mut landed: Result<Option<(Write, Outcome)>, sqlx::Error>) -> bool {
        let mut sent_again = false;
        loop {
            match landed {
                Ok(None | Some((_, Outcome::Written))) => {
                    if front.to.0 > front.from.0 {
                        notify(&self.wake, front.to.0);
                    }
                    self.head = Some(front.to);
                    answer(front.requests, Ok(front.results));
                    return true;
                }
                // It reached the lock before the call it was decided on top of; that one has landed now (it was
                // settled first), so the same write is still right.
                Ok(Some((w, Outcome::Early))) if !sent_again => {
                    metrics::counter!("lawha_append_sent_again_total").increment(1);
                    sent_again = true;
                    landed = append::write(&self.pool, &w).await.map(|o| Some((w, o)));
                }
                outcome => {
                    if let Err(e) = &outcome {
                        tracing::warn!(error = %e, "append call failed; deciding the batch again");
                    }
                    if matches!(outcome, Ok(Some((_, Outcome::Moved)))) {
                        self.contended_until = Some(tokio::time::Instant::now() + CONTENTION);
                    }
                    self.redo(front.requests).await;
                    return false;
                }
            }
        }
    }

    /// Decides `requests` and every batch behind them again, in order, each on a fresh read, and under the lock
    /// when the head moved even between that read and the write.
    async fn redo(&mut self, requests: Vec<AppendRequest>) {
        metrics::counter!("lawha_append_redecided_total").increment(1);
        self.head = None;
        let mut again = vec![requests];
        for behind in self.flying.drain(..) {
            if let Some(call) = behind.call {
                // Decided on a head that never came, so it writes nothing; wait so it cannot race the redo.
                let _ = call.await;
            }
            again.push(behind.requests);
        }
        if self.contended() {
            // One transaction for all of them, in their order: the lock is the scarce thing now.
            return self.write_locked(again.into_iter().flatten().collect()).await;
        }
        for requests in again {
            if let Err(requests) = self.write_read(requests).await {
                self.write_locked(requests).await;
            }
        }
    }

    /// Whether another process appended so recently that batches go under the lock.
    fn contended(&self) -> bool {
        self.contended_until.is_some_and(|until| tokio::time::Instant::now() < until)
    }

    /// Reads, decides and writes one batch, waiting for the write; gives the requests back, unanswered, when it
    /// did not land.
    async fn write_read(&mut self, requests: Vec<AppendRequest>) -> Result<(), Vec<AppendRequest>> {
        let Ok(loaded) = append::load(&self.pool, &requests).await else { return Err(requests) };
        let from = (loaded.head_position, loaded.head_chain.clone());
        let plan = batch::plan(&self.key, loaded, &requests, Utc::now());
        let to = plan.head.clone().unwrap_or_else(|| from.clone());
        if to.0 > from.0 {
            record_batch(requests.len());
            let w = Write { from, to: to.clone(), assumed: Vec::new(), rows: plan.rows, streams: plan.streams };
            if !matches!(append::write(&self.pool, &w).await, Ok(Outcome::Written)) {
                return Err(requests);
            }
            notify(&self.wake, to.0);
        }
        self.head = Some(to);
        answer(requests, Ok(plan.results));
        Ok(())
    }

    async fn write_locked(&mut self, requests: Vec<AppendRequest>) {
        record_batch(requests.len());
        match append::write_locked(&self.pool, &self.key, &requests).await {
            Ok(decided) => {
                if decided.wrote {
                    notify(&self.wake, decided.head.0);
                }
                self.head = Some(decided.head);
                answer(requests, Ok(decided.results));
            }
            Err(e) => answer(requests, Err(e)),
        }
    }
}

/// Sends a write; when it reached the lock before the call it was decided on top of (which was sent first but
/// may arrive second), sends it again at once, so it queues behind that call instead of waiting for it to settle.
async fn write_in_turn(pool: &PgPool, w: Write) -> Landed {
    let mut outcome = append::write(pool, &w).await?;
    for _ in 0..3 {
        if outcome != Outcome::Early {
            break;
        }
        metrics::counter!("lawha_append_sent_again_total").increment(1);
        tokio::task::yield_now().await;
        outcome = append::write(pool, &w).await?;
    }
    Ok((w, outcome))
}

/// A finished call's outcome; a call that panicked counts as failed.
fn joined(result: Result<Landed, tokio::task::JoinError>) -> Landed {
    result.unwrap_or_else(|e| Err(sqlx::Error::Protocol(format!("append call: {e}"))))
}
