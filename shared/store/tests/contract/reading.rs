//! Reading the whole log: `read_all` with its filters, `after` and `limit`, and subscriptions that start after a
//! position and wait for new events.

use std::time::Duration;

use lawha_domain::{ExpectedVersion, StreamId};
use lawha_store::{
    EventFilter, Subscription,
    testkit::{TestDb, event},
};
use serde_json::json;

use super::positions;
use crate::common::{append, bounded, read_everything, store, stream};

pub async fn read_all_filters_by_category_and_type_and_respects_after_and_limit(t: TestDb) {
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

pub async fn a_subscription_starts_after_its_position_filters_and_waits_for_new_events(t: TestDb) {
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
