//! Appending and reading back: positions, versions and content intact, conflicts, idempotent retries, invalid
//! appends, and an append the database refuses failing alone within its batch.

use lawha_domain::{ExpectedVersion, Metadata, NewEvent};
use lawha_store::{
    AppendError, Appended,
    testkit::{TestDb, event},
};
use serde_json::json;
use uuid::Uuid;

use super::{positions, versions};
use crate::common::{append, bounded, read_everything, store, stream};

pub async fn appended_events_read_back_with_positions_versions_and_content_intact(t: TestDb) {
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
        // Eight bytes of key id, then the 32-byte HMAC.
        assert_eq!(stored.chain.len(), 40);
        assert_eq!(stored.chain[..8], lawha_store::testkit::chain_key().key_id().0);
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

pub async fn a_stale_expected_version_is_a_conflict_naming_the_actual_version_and_writes_nothing(t: TestDb) {
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

pub async fn an_event_id_already_in_the_log_is_an_idempotent_success_that_writes_nothing(t: TestDb) {
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

pub async fn a_partial_duplicate_an_empty_append_or_an_id_twice_is_invalid(t: TestDb) {
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

pub async fn an_append_the_store_refuses_fails_alone_not_the_appends_batched_with_it(t: TestDb) {
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
