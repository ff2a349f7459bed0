//! Small helpers the store's test files share (the macro that runs a behaviour on both backends is the test kit's
//! `on_both_backends!`).

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::{future::Future, sync::Arc, time::Duration};

use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use lawha_store::{Appended, EventFilter, EventStore, testkit::TestDb};
use uuid::Uuid;

/// A bound on every wait, so a broken store fails the test instead of hanging it.
pub const LIMIT: Duration = Duration::from_secs(120);

pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.unwrap_or_else(|_| panic!("{what} did not finish within {LIMIT:?}"))
}

pub fn stream(category: &str) -> StreamId {
    StreamId::for_entity(category, Uuid::now_v7()).expect("a valid stream name")
}

pub fn store(t: &TestDb) -> Arc<dyn EventStore> {
    Arc::clone(&t.db.events)
}

pub async fn append(t: &TestDb, stream: &StreamId, expected: ExpectedVersion, events: Vec<NewEvent>) -> Appended {
    t.db.events.append(stream, expected, events).await.unwrap_or_else(|e| panic!("append to {stream} failed: {e}"))
}

/// Every event in the log, in position order.
pub async fn read_everything(store: &dyn EventStore) -> Vec<RecordedEvent> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |e: &RecordedEvent| e.position);
        let page = store.read_all(after, 1000, &EventFilter::all()).await.expect("read_all");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}
