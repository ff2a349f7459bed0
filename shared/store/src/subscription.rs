//! A subscription: every event after a position, in order, exactly once, waiting for new ones.
//!
//! It reads `position > last seen` in pages. That is enough because positions are gap-free and commit-ordered
//! (invariant 5): nothing can later appear below a position already read. Wake-ups (LISTEN/NOTIFY on
//! PostgreSQL, the appender's channel on SQLite) only shorten the wait; a timer polls in case one is lost.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use lawha_domain::RecordedEvent;
use tokio::sync::watch;

use crate::{EventFilter, EventStore, StoreError};

/// Reads events in position order, waiting when it has caught up.
#[derive(Debug)]
pub struct Subscription {
    store: Arc<dyn EventStore>,
    position: i64,
    filter: EventFilter,
    wake: watch::Receiver<i64>,
    buffer: VecDeque<RecordedEvent>,
    page: i64,
    poll: Duration,
}

impl Subscription {
    /// Starts after `position` (0 for the beginning), with a poll fallback of `poll`.
    pub fn new(store: Arc<dyn EventStore>, position: i64, filter: EventFilter, poll: Duration) -> Self {
        let wake = store.wakeups();
        Self { store, position, filter, wake, buffer: VecDeque::new(), page: 500, poll }
    }

    /// The position of the last event returned.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The next event, waiting as long as it takes.
    pub async fn next(&mut self) -> Result<RecordedEvent, StoreError> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.position = event.position;
                return Ok(event);
            }
            // Mark the current wake-up as seen before reading, so one that arrives during the read is not lost.
            self.wake.borrow_and_update();
            let page = self.store.read_all(self.position, self.page, &self.filter).await?;
            if page.is_empty() {
                // Either a wake-up or the poll timer; a closed channel leaves only the timer.
                let _ = tokio::time::timeout(self.poll, self.wake.changed()).await;
                if self.wake.has_changed().is_err() {
                    tokio::time::sleep(self.poll).await;
                }
            }
            self.buffer.extend(page);
        }
    }
}
