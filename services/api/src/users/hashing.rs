//! Password hashing off the request threads, with a bound.
//!
//! argon2id is deliberately expensive (about 19 MiB and tens of milliseconds of one core per check). Run on the
//! async runtime's threads, a handful of concurrent sign-ins would stall every other request, health checks
//! included, on a two-core host. So every hash and check runs on tokio's blocking pool, at most one per core at a
//! time, with a short queue behind them; when the queue is full the request is refused at once with
//! `503 busy` and `Retry-After` instead of piling up memory and latency for everyone.

use std::sync::atomic::{AtomicUsize, Ordering};

use lawha_domain::Message;
use tokio::sync::Semaphore;

use super::messages;
use crate::http::error::{Kind, Problem};

/// Seconds a refused client is asked to wait.
pub const RETRY_AFTER_SECS: u64 = 1;
/// Checks allowed to wait per check running.
const QUEUE_PER_SLOT: usize = 8;

/// Refused because too many password checks are running and waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking passwords; try again in a moment")]
pub struct Busy;

impl Problem for Busy {
    fn kind(&self) -> Kind {
        Kind::Unavailable
    }

    fn code(&self) -> &'static str {
        "busy"
    }

    fn message(&self) -> Message {
        messages::busy(RETRY_AFTER_SECS)
    }

    fn retry_after(&self) -> Option<u64> {
        Some(RETRY_AFTER_SECS)
    }
}

/// The bound on password work in this process.
#[derive(Debug)]
pub struct PasswordWork {
    /// One permit per check that may run at once.
    slots: Semaphore,
    /// Checks running or waiting now.
    admitted: AtomicUsize,
    /// The most that may be running or waiting.
    limit: usize,
}

impl Default for PasswordWork {
    /// One check per core, eight waiting per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cores, cores * QUEUE_PER_SLOT)
    }
}

impl PasswordWork {
    /// At most `running` checks at once and `waiting` more in the queue.
    pub fn new(running: usize, waiting: usize) -> Self {
        let running = running.max(1);
        Self { slots: Semaphore::new(running), admitted: AtomicUsize::new(0), limit: running + waiting }
    }

    /// How many checks may be running and waiting at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `work` on the blocking pool once a slot is free, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("lawha_password_checks_refused_total").increment(1);
            return Err(Busy);
        }
        // Released however this ends, also when the request is dropped while waiting.
        let _admitted = Admitted(&self.admitted);
        let _slot = self.slots.acquire().await.map_err(|_| Busy)?;
        // A panic in argon2 would be a bug; it is reported as busy rather than taking the request thread down.
        tokio::task::spawn_blocking(work).await.map_err(|_| Busy)
    }

    /// `password` checked against a stored PHC string, on the pool.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, Busy> {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        self.run(move || super::credentials::verify_password(&password, &phc)).await
    }

    /// A new hash of `password`, on the pool.
    pub async fn hash(&self, password: &str) -> Result<Result<String, Message>, Busy> {
        let password = password.to_owned();
        self.run(move || super::credentials::hash_password(&password)).await
    }
}

/// Gives back an admission when dropped.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_frees_its_places_afterwards() {
        let work = Arc::new(PasswordWork::new(1, 2));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(std::sync::Mutex::new(held));
        // One running (blocked until released) and two waiting fill it.
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let (work, held) = (Arc::clone(&work), Arc::clone(&held));
            tasks.push(tokio::spawn(async move {
                work.run(move || held.lock().map(|rx| rx.recv().is_ok()).unwrap_or(false)).await
            }));
        }
        while work.admitted.load(Ordering::Acquire) < 3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(work.run(|| ()).await, Err(Busy), "a fourth is refused while three are in");
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(true));
        }
        assert_eq!(work.run(|| 7).await, Ok(7), "the places are free again");
        assert_eq!(work.admitted.load(Ordering::Acquire), 0);
    }
}
