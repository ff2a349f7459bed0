//! The event store's contract: one set of behaviours, run against both backends (PostgreSQL and SQLite).
//!
//! Each behaviour is a function taking a fresh [`TestDb`]; the test kit's `on_both_backends!` instantiates every one
//! of them in `mod postgres` and `mod sqlite`. The projection runner's behaviours are in `projections.rs`.
//! PostgreSQL comes from `LAWHA_TEST_DATABASE_URL` (see the test kit): when it is unreachable the PostgreSQL tests
//! fail, they never skip.

mod common;

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::Duration,
};

use common::{append, bounded, read_everything, store, stream};
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamId};
use lawha_store::{
    AppendError, Appended, ChainVerdict, Database, EventFilter, EventStore, Subscription,
    testkit::{TestDb, chain_key, event},
    verify_chain,
};
use serde_json::json;
use uuid::Uuid;

lawha_store::on_both_backends!(
    appended_events_read_back_with_positions_versions_and_content_intact,
    a_stale_expected_version_is_a_conflict_naming_the_actual_version_and_writes_nothing,
    an_event_id_already_in_the_log_is_an_idempotent_success_that_writes_nothing,
    a_partial_duplicate_an_empty_append_or_an_id_twice_is_invalid,
    an_append_the_store_refuses_fails_alone_not_the_appends_batched_with_it,
    read_all_filters_by_category_and_type_and_respects_after_and_limit,
    a_subscription_starts_after_its_position_filters_and_waits_for_new_events,
    concurrent_exact_version_writers_get_gap_free_positions_contiguous_versions_and_one_delivery_each,
    concurrent_any_version_writers_on_one_stream_get_contiguous_versions,
    two_processes_appending_at_once_keep_positions_gap_free_and_the_chain_whole,
    an_untouched_log_verifies_intact,
    changed_data_breaks_the_chain_at_that_position,
    changed_metadata_breaks_the_chain_at_that_position,
    a_changed_type_breaks_the_chain_at_that_position,
    a_changed_stream_name_breaks_the_chain_at_that_position,
    a_deleted_middle_row_breaks_the_chain_at_its_position,
    a_deleted_last_row_breaks_the_chain_at_its_position,
);

fn positions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

fn versions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.version).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Appending and reading

async fn appended_events_read_back_with_positions_versions_and_content_intact(t: TestDb) {
    let plan = stream("backup_plan");
    let site = stream("site");
    let metadata = Metadata {
        actor: Some("user:alice".into()),
        ip: Some("192.0.2.7".into()),
        user_agent: Some("curl/8.5".into()),
        request_id: Some("req-1".into()),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: Some(Uuid::now_v7()),
    };
    let mut sent = vec![
        NewEvent::new(
            "PlanCreated",
            json!({"name": "nightly", "keep": 7, "z": {"b": [1, 2.5, null], "a": "é"}}),
            metadata,
        ),
        event("PlanScheduled", json!({"cron": "0 3 * * *"})),
        NewEvent { schema_version: 2, ..event("PlanRenamed", json!({"name": "night\"ly\n", "flag": true})) },
    ];
    let first = append(&t, &plan, ExpectedVersion::Exact(0), sent.clone()).await;
    assert_eq!(first, Appended { first_position: 1, last_position: 3, stream_version: 3, already_applied: false });

    let site_events = vec![event("SiteCreated", json!({"domain": "example.org"})), event("SiteDeployed", json!({}))];
    let second = append(&t, &site, ExpectedVersion::Exact(0), site_events.clone()).await;
    assert_eq!(second, Appended { first_position: 4, last_position: 5, stream_version: 2, already_applied: false });

    let more = vec![event("PlanPaused", json!({"why": "maintenance"})), event("PlanResumed", json!([]))];
    let third = append(&t, &plan, ExpectedVersion::Exact(3), more.clone()).await;
    assert_eq!(third, Appended { first_position: 6, last_position: 7, stream_version: 5, already_applied: false });
    sent.extend(more);

    let in_plan = t.db.events.read_stream(&plan, 0, 100).await.expect("read_stream");
    assert_eq!(versions(&in_plan), [1, 2, 3, 4, 5]);
    assert_eq!(positions(&in_plan), [1, 2, 3, 6, 7]);
    for (stored, original) in in_plan.iter().zip(&sent) {
        assert_eq!(stored.stream, plan);
        assert_eq!(stored.event_id, original.event_id);
        assert_eq!(stored.event_type, original.event_type);
        assert_eq!(stored.schema_version, original.schema_version);
        assert_eq!(stored.data, original.data, "data of {}", stored.event_type);
        assert_eq!(stored.metadata, original.metadata, "metadata of {}", stored.event_type);
        assert_eq!(stored.chain.len(), 32);
        let age = chrono::Utc::now() - stored.recorded_at;
        assert!(age >= chrono::TimeDelta::zero() && age < chrono::TimeDelta::seconds(60), "recorded_at {age:?} ago");
    }
    let page = t.db.events.read_stream(&plan, 2, 2).await.expect("read_stream after 2, limit 2");
    assert_eq!(versions(&page), [3, 4]);
    assert!(t.db.events.read_stream(&stream("site"), 0, 100).await.expect("read an unknown stream").is_empty());

    let all = read_everything(t.db.events.as_ref()).await;
    assert_eq!(positions(&all), (1..=7).collect::<Vec<_>>());
    let in_order: Vec<&str> = all.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        in_order,
        ["PlanCreated", "PlanScheduled", "PlanRenamed", "SiteCreated", "SiteDeployed", "PlanPaused", "PlanResumed"]
    );
    let site_read: Vec<_> = all.iter().filter(|e| e.stream == site).collect();
    assert_eq!(site_read.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(site_read[0].data, site_events[0].data);
    assert_eq!(all, [&in_plan[..3], &site_read.into_iter().cloned().collect::<Vec<_>>()[..], &in_plan[3..]].concat());

    assert_eq!(t.db.events.stream_version(&plan).await.expect("stream_version"), 5);
    assert_eq!(t.db.events.stream_version(&site).await.expect("stream_version"), 2);
    assert_eq!(t.db.events.stream_version(&stream("user")).await.expect("stream_version"), 0);
    assert_eq!(t.db.events.head().await.expect("head"), 7);
    let (head_position, head_chain) = t.db.events.chain_head().await.expect("chain_head").expect("a chain head");
    assert_eq!((head_position, &head_chain), (7, &all[6].chain));
}

async fn a_stale_expected_version_is_a_conflict_naming_the_actual_version_and_writes_nothing(t: TestDb) {
    let s = stream("site");
    append(&t, &s, ExpectedVersion::Exact(0), vec![event("SiteCreated", json!({})), event("SiteRenamed", json!({}))])
        .await;
    for expected in [0, 1, 3, 9] {
        let refused =
            t.db.events.append(&s, ExpectedVersion::Exact(expected), vec![event("SiteDeleted", json!({}))]).await;
        match refused {
            Err(AppendError::Conflict { stream, expected: e, actual }) => {
                assert_eq!((stream.as_str(), e, actual), (s.as_str(), expected, 2));
            }
            other => panic!("expected a conflict for expected version {expected}, got {other:?}"),
        }
    }
    let fresh = stream("site");
    match t.db.events.append(&fresh, ExpectedVersion::Exact(1), vec![event("SiteCreated", json!({}))]).await {
        Err(AppendError::Conflict { expected: 1, actual: 0, .. }) => {}
        other => panic!("expected a conflict on a stream that does not exist, got {other:?}"),
    }
    assert_eq!(t.db.events.head().await.expect("head"), 2, "a conflict wrote something");
    assert_eq!(t.db.events.stream_version(&s).await.expect("stream_version"), 2);
    assert_eq!(t.db.events.stream_version(&fresh).await.expect("stream_version"), 0);
    assert_eq!(t.db.events.read_stream(&s, 0, 100).await.expect("read_stream").len(), 2);
    assert_eq!(t.db.events.chain_head().await.expect("chain_head").map(|h| h.0), Some(2));

    let next = append(&t, &s, ExpectedVersion::Exact(2), vec![event("SiteDeleted", json!({}))]).await;
    assert_eq!((next.first_position, next.stream_version), (3, 3));
}

async fn an_event_id_already_in_the_log_is_an_idempotent_success_that_writes_nothing(t: TestDb) {
    let run = stream("backup_run");
    let job = Uuid::now_v7();
    let with_id = |step: &str| NewEvent {
        event_id: lawha_domain::event_id_for(job, step),
        ..event(format!("Backup{step}"), json!({"job": job}))
    };
    let first = append(&t, &run, ExpectedVersion::Exact(0), vec![with_id("Started"), with_id("Completed")]).await;
    assert_eq!(first, Appended { first_position: 1, last_position: 2, stream_version: 2, already_applied: false });
    append(&t, &stream("user"), ExpectedVersion::Any, vec![event("UserCreated", json!({}))]).await;

    // A retried job appends the same ids again, with the expected version it had then, or with Any.
    for expected in [ExpectedVersion::Exact(0), ExpectedVersion::Any, ExpectedVersion::Exact(2)] {
        let again = append(&t, &run, expected, vec![with_id("Started"), with_id("Completed")]).await;
        assert_eq!(again, Appended { first_position: 1, last_position: 2, stream_version: 2, already_applied: true });
    }
    let one = append(&t, &run, ExpectedVersion::Exact(0), vec![with_id("Completed")]).await;
    assert_eq!(one, Appended { first_position: 2, last_position: 2, stream_version: 2, already_applied: true });

    assert_eq!(t.db.events.head().await.expect("head"), 3, "an idempotent retry wrote something");
    assert_eq!(t.db.events.stream_version(&run).await.expect("stream_version"), 2);
    assert_eq!(versions(&t.db.events.read_stream(&run, 0, 100).await.expect("read_stream")), [1, 2]);
}

async fn a_partial_duplicate_an_empty_append_or_an_id_twice_is_invalid(t: TestDb) {
    let s = stream("certificate");
    let stored = event("CertificateRequested", json!({"domain": "example.org"}));
    append(&t, &s, ExpectedVersion::Exact(0), vec![stored.clone()]).await;
    let new = event("CertificateIssued", json!({}));
    let cases: Vec<(&str, Vec<NewEvent>)> = vec![
        ("a stored id with a new one", vec![stored.clone(), new.clone()]),
        ("a new id with a stored one", vec![new.clone(), stored.clone()]),
        ("no events", vec![]),
        ("one id twice", vec![new.clone(), new.clone()]),
        ("an empty type", vec![event("", json!({}))]),
        ("a NUL in the type", vec![event("Site\0Renamed", json!({}))]),
        ("a NUL in the data", vec![event("SiteRenamed", json!({"name": ["a\u{0}b"]}))]),
        ("a NUL in a data key", vec![event("SiteRenamed", json!({"na\u{0}me": 1}))]),
        (
            "a NUL in the metadata",
            vec![NewEvent::new(
                "SiteRenamed",
                json!({}),
                Metadata { user_agent: Some("x\0y".into()), ..Metadata::default() },
            )],
        ),
    ];
    for (case, events) in cases {
        match t.db.events.append(&s, ExpectedVersion::Any, events).await {
            Err(AppendError::Invalid(_)) => {}
            other => panic!("{case}: expected Invalid, got {other:?}"),
        }
    }
    assert_eq!(t.db.events.head().await.expect("head"), 1, "an invalid append wrote something");
    assert_eq!(t.db.events.stream_version(&s).await.expect("stream_version"), 1);
    // The refused new event can still be appended on its own.
    let later = append(&t, &s, ExpectedVersion::Exact(1), vec![new]).await;
    assert_eq!((later.first_position, later.stream_version, later.already_applied), (2, 2, false));
}

async fn an_append_the_store_refuses_fails_alone_not_the_appends_batched_with_it(t: TestDb) {
    // Concurrent appends share one transaction (group commit); one that the database would refuse (PostgreSQL
    // stores no NUL character) must not take the others down with it.
    const CALLERS: usize = 50;
    const BAD: usize = 25;
    let calls: Vec<_> = (0..CALLERS)
        .map(|i| {
            let store = store(&t);
            tokio::spawn(async move {
                let data = if i == BAD { json!({"name": "nul\u{0}here"}) } else { json!({"i": i}) };
                store.append(&stream("site"), ExpectedVersion::Exact(0), vec![event("SiteCreated", data)]).await
            })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        match (i, bounded("an append", call).await.expect("an append task panicked")) {
            (BAD, Err(AppendError::Invalid(_))) => {}
            (BAD, other) => panic!("an event holding a NUL character: expected Invalid, got {other:?}"),
            (_, Ok(a)) => assert!(!a.already_applied),
            (_, Err(e)) => panic!("append {i} failed because of another caller's append: {e}"),
        }
    }
    let stored = read_everything(t.db.events.as_ref()).await;
    assert_eq!(positions(&stored), (1..=49).collect::<Vec<_>>());
}

async fn read_all_filters_by_category_and_type_and_respects_after_and_limit(t: TestDb) {
    let plan = stream("backup_plan");
    let run = stream("backup_run");
    let site = stream("site");
    let user = stream("user");
    let script: [(&StreamId, &str); 12] = [
        (&plan, "PlanCreated"),
        (&run, "BackupRequested"),
        (&site, "SiteCreated"),
        (&run, "BackupCompleted"),
        (&user, "UserCreated"),
        (&site, "DeploymentRequested"),
        (&plan, "PlanRenamed"),
        (&run, "BackupRequested"),
        (&site, "SiteRenamed"),
        (&user, "UserRenamed"),
        (&run, "BackupFailed"),
        (&plan, "PlanDeleted"),
    ];
    for (s, event_type) in script {
        append(&t, s, ExpectedVersion::Any, vec![event(event_type, json!({"type": event_type}))]).await;
    }
    let all = read_everything(t.db.events.as_ref()).await;
    assert_eq!(all.len(), 12);
    let filters = [
        EventFilter::all(),
        EventFilter::categories(["backup_run"]),
        EventFilter::categories(["site", "user"]),
        EventFilter::types(["BackupRequested"]),
        EventFilter::types(["BackupRequested", "DeploymentRequested"]),
        EventFilter {
            categories: vec!["backup_run".into()],
            types: vec!["BackupRequested".into(), "SiteCreated".into()],
        },
        EventFilter::categories(["nothing_here"]),
        EventFilter::types(["NeverHappened"]),
    ];
    for filter in &filters {
        let expected: Vec<i64> = all.iter().filter(|e| filter.matches(e)).map(|e| e.position).collect();
        for after in [0, 1, 4, 8, 11, 12, 50] {
            let wanted: Vec<i64> = expected.iter().copied().filter(|p| *p > after).collect();
            let got = t.db.events.read_all(after, 100, filter).await.expect("read_all");
            assert_eq!(positions(&got), wanted, "filter {filter:?} after {after}");
            for limit in [1, 2, 3] {
                let got = t.db.events.read_all(after, limit, filter).await.expect("read_all with limit");
                let wanted: Vec<i64> = wanted.iter().copied().take(usize::try_from(limit).unwrap_or(0)).collect();
                assert_eq!(positions(&got), wanted, "filter {filter:?} after {after} limit {limit}");
            }
        }
    }
    assert_eq!(
        positions(&t.db.events.read_all(0, 100, &EventFilter::types(["BackupRequested"])).await.expect("read_all")),
        [2, 8]
    );
    let sites = t.db.events.read_all(0, 100, &EventFilter::categories(["site"])).await.expect("read_all");
    assert!(sites.iter().all(|e| e.stream == site) && sites.len() == 3);
}

async fn a_subscription_starts_after_its_position_filters_and_waits_for_new_events(t: TestDb) {
    let s = stream("backup_run");
    let other = stream("site");
    for i in 0..5 {
        append(&t, &s, ExpectedVersion::Any, vec![event("BackupRequested", json!({"i": i}))]).await;
        append(&t, &other, ExpectedVersion::Any, vec![event("SiteRenamed", json!({"i": i}))]).await;
    }
    // Positions 1..=10; requests at odd positions. Start after 4: 5, 7, 9, then events appended later.
    let mut requested =
        Subscription::new(store(&t), 4, EventFilter::types(["BackupRequested"]), Duration::from_millis(100));
    for expected in [5, 7, 9] {
        let e = bounded("reading a stored event", requested.next()).await.expect("next");
        assert_eq!((e.position, e.event_type.as_str()), (expected, "BackupRequested"));
    }
    assert_eq!(requested.position(), 9);
    let waiting = tokio::spawn(async move {
        let e = requested.next().await.expect("next");
        (e, requested)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the subscription returned an event that does not exist yet");
    append(&t, &other, ExpectedVersion::Any, vec![event("SiteRenamed", json!({}))]).await;
    let wanted = append(&t, &s, ExpectedVersion::Any, vec![event("BackupRequested", json!({"late": true}))]).await;
    let (e, requested) = bounded("waking on a new event", waiting).await.expect("the subscriber task");
    assert_eq!((e.position, &e.data), (wanted.first_position, &json!({"late": true})));
    assert_eq!(requested.position(), 12);
}

// ---------------------------------------------------------------------------------------------------------------
// Concurrency

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

async fn concurrent_exact_version_writers_get_gap_free_positions_contiguous_versions_and_one_delivery_each(t: TestDb) {
    exact_version_writers(&t, &[store(&t)]).await;
}

/// Two stores on one database stand for two processes: each has its own appender, so each decides batches
/// without knowing what the other is about to write (on PostgreSQL, batches decided ahead of the lock then find
/// the head moved and are decided again under it).
async fn two_processes_appending_at_once_keep_positions_gap_free_and_the_chain_whole(t: TestDb) {
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

async fn concurrent_any_version_writers_on_one_stream_get_contiguous_versions(t: TestDb) {
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

// ---------------------------------------------------------------------------------------------------------------
// The audit chain

/// Appends ten events over three streams; position 7 is in the middle of one.
async fn ten_events(t: &TestDb) {
    let streams = [stream("site"), stream("backup_plan"), stream("user")];
    let actor = Metadata { actor: Some("user:alice".into()), ..Metadata::default() };
    for n in 1..=10 {
        let s = &streams[n % 3];
        let e = NewEvent::new("Counted", json!({"n": n, "note": "tamper-evident"}), actor.clone());
        append(t, s, ExpectedVersion::Any, vec![e]).await;
    }
}

async fn verdict(t: &TestDb) -> ChainVerdict {
    verify_chain(t.db.events.as_ref(), &chain_key()).await.expect("verify_chain")
}

/// Runs one statement per backend against the log's own tables, as an attacker with database access would.
async fn tamper(db: &Database, postgres: &str, sqlite: &str) {
    let changed = if let Some(pool) = db.pg_pool() {
        sqlx::query(sqlx::AssertSqlSafe(postgres)).execute(pool).await.expect("tampering (PostgreSQL)").rows_affected()
    } else {
        let pool = db.sqlite_pool().expect("a SQLite pool when there is no PostgreSQL pool");
        sqlx::query(sqlx::AssertSqlSafe(sqlite)).execute(pool).await.expect("tampering (SQLite)").rows_affected()
    };
    assert_eq!(changed, 1, "the tampering statement changed {changed} rows");
}

async fn assert_broken_at(t: &TestDb, position: i64) {
    match verdict(t).await {
        ChainVerdict::Broken { position: at, reason } => {
            assert_eq!(at, position, "the verifier named the wrong position ({reason})");
        }
        intact @ ChainVerdict::Intact { .. } => panic!("tampering went unnoticed: {intact:?}"),
    }
}

async fn an_untouched_log_verifies_intact(t: TestDb) {
    match verdict(&t).await {
        ChainVerdict::Intact { events: 0, .. } => {}
        other => panic!("an empty log: {other:?}"),
    }
    ten_events(&t).await;
    let head = t.db.events.chain_head().await.expect("chain_head").expect("a head");
    match verdict(&t).await {
        ChainVerdict::Intact { events, head: chain } => assert_eq!((events, chain), (10, head.1)),
        broken => panic!("an untouched log: {broken:?}"),
    }
    // A second handle on the same database (another process) agrees.
    let again = lawha_store::testkit::connect_url(&t.url).await;
    assert!(matches!(
        verify_chain(again.events.as_ref(), &chain_key()).await,
        Ok(ChainVerdict::Intact { events: 10, .. })
    ));
    again.close().await;
}

async fn changed_data_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    tamper(
        &t.db,
        "UPDATE events SET data = jsonb_set(data::jsonb, '{n}', '8')::json WHERE position = 7",
        "UPDATE events SET data = json_set(data, '$.n', 8) WHERE position = 7",
    )
    .await;
    assert_broken_at(&t, 7).await;
}

async fn changed_metadata_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    tamper(
        &t.db,
        r#"UPDATE events SET metadata = (metadata::jsonb || '{"actor": "user:alicf"}')::json WHERE position = 7"#,
        "UPDATE events SET metadata = json_set(metadata, '$.actor', 'user:alicf') WHERE position = 7",
    )
    .await;
    assert_broken_at(&t, 7).await;
}

async fn a_changed_type_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "UPDATE events SET type = 'Counteq' WHERE position = 7";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 7).await;
}

async fn a_changed_stream_name_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    // Stream names end in a hex digit, so the last byte becomes 'z' whatever it was.
    let sql = "UPDATE events SET stream_id = substr(stream_id, 1, length(stream_id) - 1) || 'z' WHERE position = 7";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 7).await;
}

async fn a_deleted_middle_row_breaks_the_chain_at_its_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "DELETE FROM events WHERE position = 5";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 5).await;
}

async fn a_deleted_last_row_breaks_the_chain_at_its_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "DELETE FROM events WHERE position = 10";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 10).await;
}
