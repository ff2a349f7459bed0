//! Concurrency: many writers at once, with exact or any expected versions, in one process or two, must leave a
//! gap-free log, contiguous versions, a whole chain, and a subscriber that saw every event once.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::Duration,
};

use lawha_domain::{ExpectedVersion, RecordedEvent, StreamId};
use lawha_store::{
    AppendError, ChainVerdict, EventFilter, EventStore, Subscription,
    testkit::{TestDb, chain_key, event},
    verify_chain,
};
use serde_json::json;
use uuid::Uuid;

use super::positions;
use crate::common::{bounded, read_everything, store, stream};

const WRITERS: usize = 8;
const APPENDS_PER_WRITER: usize = 500;
const TOTAL: usize = WRITERS * APPENDS_PER_WRITER;

/// Collects `count` events from a subscription started at the beginning of the log.
fn subscribe_all(store: Arc<dyn EventStore>, count: usize) -> tokio::task::JoinHandle<Vec<RecordedEvent>> {
    tokio::spawn(async move {
        let mut subscription = Subscription::new(store, 0, EventFilter::all(), Duration::from_millis(250));
        let mut received = Vec::with_capacity(count);
        while received.len() < count {
            received.push(subscription.next().await.expect("the subscription failed"));
        }
        received
    })
}

/// Checks what every concurrency test needs: positions 1..=TOTAL, exactly the events written, contiguous
/// versions per stream matching the stream's version, a subscriber that saw it all once in order, and the chain.
async fn assert_log_is_consistent(t: &TestDb, written: &HashSet<Uuid>, received: &[RecordedEvent]) {
    let all = read_everything(t.db.events.as_ref()).await;
    let total = i64::try_from(TOTAL).expect("small");
    assert_eq!(positions(&all), (1..=total).collect::<Vec<_>>(), "positions have a gap or a duplicate");
    assert_eq!(t.db.events.head().await.expect("head"), total);
    let stored: HashSet<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(stored.len(), TOTAL, "an event id is stored twice");
    assert_eq!(&stored, written, "the log holds other events than the ones acknowledged");

    let mut per_stream: BTreeMap<&StreamId, Vec<i64>> = BTreeMap::new();
    for e in &all {
        per_stream.entry(&e.stream).or_default().push(e.version);
    }
    for (s, got) in &per_stream {
        let k = i64::try_from(got.len()).expect("small");
        assert_eq!(got, &(1..=k).collect::<Vec<_>>(), "versions of {s} are not contiguous in position order");
        assert_eq!(t.db.events.stream_version(s).await.expect("stream_version"), k, "stream {s}");
    }

    assert_eq!(received.len(), TOTAL);
    assert_eq!(positions(received), positions(&all), "the subscriber missed, repeated or reordered events");
    let received_ids: Vec<Uuid> = received.iter().map(|e| e.event_id).collect();
    let stored_ids: Vec<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(received_ids, stored_ids);

    match verify_chain(t.db.events.as_ref(), &chain_key()).await.expect("verify_chain") {
        ChainVerdict::Intact { events, .. } => assert_eq!(events, total),
        broken => panic!("concurrent appends broke the chain: {broken:?}"),
    }
}

pub async fn concurrent_exact_version_writers_get_gap_free_positions_contiguous_versions_and_one_delivery_each(
    t: TestDb,
) {
    exact_version_writers(&t, &[store(&t)]).await;
}

/// Two stores on one database stand for two processes: each has its own appender, so each decides batches
/// without knowing what the other is about to write (on PostgreSQL, batches decided ahead of the lock then find
/// the head moved and are decided again under it).
pub async fn two_processes_appending_at_once_keep_positions_gap_free_and_the_chain_whole(t: TestDb) {
    let other = lawha_store::testkit::connect_url(&t.url).await;
    exact_version_writers(&t, &[store(&t), Arc::clone(&other.events)]).await;
    other.close().await;
}

/// WRITERS tasks, spread over `stores`, append to 20 shared streams with exact expected versions, retrying on
/// conflict; then the log must be consistent.
async fn exact_version_writers(t: &TestDb, stores: &[Arc<dyn EventStore>]) {
    const STREAMS: usize = 20;
    let streams: Arc<Vec<StreamId>> = Arc::new((0..STREAMS).map(|_| stream("site")).collect());
    let subscriber = subscribe_all(store(t), TOTAL);
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, streams) = (Arc::clone(&stores[writer % stores.len()]), Arc::clone(&streams));
            tokio::spawn(async move {
                let mut written = Vec::with_capacity(APPENDS_PER_WRITER);
                let mut conflicts = 0usize;
                for i in 0..APPENDS_PER_WRITER {
                    let s = &streams[(writer + i) % STREAMS];
                    let e = event("SiteTouched", json!({"writer": writer, "i": i}));
                    loop {
                        let version = store.stream_version(s).await.expect("stream_version");
                        match store.append(s, ExpectedVersion::Exact(version), vec![e.clone()]).await {
                            Ok(a) => {
                                assert!(!a.already_applied && a.stream_version == version + 1, "{a:?}");
                                break;
                            }
                            Err(AppendError::Conflict { expected, actual, .. }) => {
                                assert!(expected == version && actual > version, "conflict {expected} / {actual}");
                                conflicts += 1;
                            }
                            Err(error) => panic!("writer {writer}: append failed: {error}"),
                        }
                    }
                    written.push(e.event_id);
                }
                (written, conflicts)
            })
        })
        .collect();
    let mut written = HashSet::new();
    let mut conflicts = 0;
    for writer in writers {
        let (ids, c) = bounded("a writer", writer).await.expect("a writer task panicked");
        written.extend(ids);
        conflicts += c;
    }
    let received = bounded("the subscriber", subscriber).await.expect("the subscriber task panicked");
    eprintln!("{TOTAL} appends on {STREAMS} shared streams, {conflicts} conflicts retried");
    assert_log_is_consistent(t, &written, &received).await;
}

pub async fn concurrent_any_version_writers_on_one_stream_get_contiguous_versions(t: TestDb) {
    let s = Arc::new(stream("backup_run"));
    let subscriber = subscribe_all(store(&t), TOTAL);
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, s) = (store(&t), Arc::clone(&s));
            tokio::spawn(async move {
                let mut written = Vec::with_capacity(APPENDS_PER_WRITER);
                for i in 0..APPENDS_PER_WRITER {
                    let e = event("BackupLogged", json!({"writer": writer, "i": i}));
                    let a = store.append(&s, ExpectedVersion::Any, vec![e.clone()]).await;
                    let a = a.unwrap_or_else(|error| panic!("writer {writer}: append failed: {error}"));
                    assert_eq!(a.stream_version, a.last_position, "one stream: version equals position");
                    written.push(e.event_id);
                }
                written
            })
        })
        .collect();
    let mut written = HashSet::new();
    for writer in writers {
        written.extend(bounded("a writer", writer).await.expect("a writer task panicked"));
    }
    let received = bounded("the subscriber", subscriber).await.expect("the subscriber task panicked");
    assert_log_is_consistent(&t, &written, &received).await;
    assert_eq!(t.db.events.stream_version(&s).await.expect("stream_version"), i64::try_from(TOTAL).expect("small"));
}
