//! Reading the audit log through the API: every filter against the oracle on both backends, the fields of an
//! item, paging that stays stable while events arrive, free-text search, and the raw event by position.

use std::{collections::BTreeSet, time::Duration};

use chrono::DateTime;
use lawha_domain::{ExpectedVersion, NewEvent, StreamId};
use lawha_store::testkit::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixture::{FORMULA_ACTOR, Fixture, ITEM_KEYS, NOTES, Seeded, metadata, note};
use crate::common::{eventually, postgres};

/// Query parameters of one request, as the test writes them.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// Each filter alone and some together, against the oracle: the same positions, not only the same count.
async fn every_filter_returns_exactly_the_matching_events(url: &str) {
    let f = Fixture::seed(url, 1500).await;
    let between = f.between.to_rfc3339();
    let amira = |e: &Seeded| e.actor == "user:amira";
    let cases: Vec<(Params, Vec<i64>)> = vec![
        (vec![], f.expected(|_| true)),
        (vec![("actor", "user:amira")], f.expected(amira)),
        (vec![("event_type", "BackupFailed")], f.expected(|e| e.event_type == "BackupFailed")),
        (
            vec![("event_type", "BackupFailed,SiteDeployed")],
            f.expected(|e| ["BackupFailed", "SiteDeployed"].contains(&e.event_type.as_str())),
        ),
        (
            vec![("event_type", "BackupFailed"), ("event_type", "SiteDeployed")],
            f.expected(|e| ["BackupFailed", "SiteDeployed"].contains(&e.event_type.as_str())),
        ),
        (vec![("stream", "backup_run")], f.expected(|e| e.stream.starts_with("backup_run-"))),
        (vec![("stream", "site-blog")], f.expected(|e| e.stream == "site-blog")),
        (vec![("since", &between)], f.expected(|e| e.phase == 2)),
        (vec![("until", &between)], f.expected(|e| e.phase == 1)),
        (
            vec![
                ("actor", "user:bashir"),
                ("event_type", "BackupCompleted,CertificateRenewed"),
                ("stream", "backup_run"),
                ("since", &between),
            ],
            f.expected(|e| {
                e.actor == "user:bashir"
                    && ["BackupCompleted", "CertificateRenewed"].contains(&e.event_type.as_str())
                    && e.stream.starts_with("backup_run-")
                    && e.phase == 2
            }),
        ),
        (vec![("actor", "user:amira"), ("q", "MIXED case")], f.expected(|e| amira(e) && e.summary.contains("Mixed"))),
    ];
    for (params, expected) in &cases {
        assert!(!expected.is_empty(), "the fixture must give {params:?} something to find");
        assert_eq!(&f.walk(params, 500).await, expected, "filter {params:?}");
    }
    assert_eq!(f.walk(&[("actor", "user:amira")], 37).await, f.expected(amira), "odd page sizes change nothing");
    assert!(f.walk(&[("actor", "nobody")], 50).await.is_empty());
    f.app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_alone_and_combined_returns_exactly_the_matching_events_on_postgres() {
    let db = postgres().await;
    every_filter_returns_exactly_the_matching_events(&db.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_alone_and_combined_returns_exactly_the_matching_events_on_sqlite() {
    let db = TestDb::sqlite().await;
    every_filter_returns_exactly_the_matching_events(&db.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_carry_every_field_with_microsecond_utc_times() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 10).await;
    let page = f.page(&[("limit", "1")]).await;
    let item = &page["items"][0];
    let keys: BTreeSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(ITEM_KEYS), "{item}");
    let newest = f.events.last().unwrap();
    assert_eq!(item["position"], newest.position);
    assert_eq!(page["next_before"], newest.position, "{page}");
    assert_eq!(item["actor"], FORMULA_ACTOR);
    assert_eq!(item["stream"], "site-blog");
    assert_eq!(item["target"], "site-blog");
    assert_eq!(item["summary"], newest.summary);
    assert_eq!(item["ip"], "192.0.2.0");
    assert_eq!(item["request_id"], "req-0");
    let recorded_at = item["recorded_at"].as_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(recorded_at).is_ok() && recorded_at.ends_with('Z'), "{recorded_at}");
    assert_eq!(recorded_at.split_once('.').unwrap().1.len(), "123456Z".len(), "microseconds: {recorded_at}");
    assert_eq!(f.page(&[]).await["items"].as_array().unwrap().len(), f.events.len(), "a short last page");
    assert_eq!(f.page(&[]).await["next_before"], Value::Null);
    f.app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_stays_stable_while_new_events_are_appended_between_requests() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    let original = f.expected(|e| e.actor == "user:amira");
    let writer = Writer { state: f.app.state.clone() };
    let mut arrivals = 0;
    // Events of the same actor arrive after every page and are projected before the next page is asked for.
    let walked = f
        .walk_with(&[("actor", "user:amira")], 100, async || {
            writer.arrive().await;
            arrivals += 1;
        })
        .await;
    assert!(arrivals >= 5, "the walk spans many pages");
    assert_eq!(walked, original, "no duplicates and no gaps among the original events");
    let newest = f.page(&[("actor", "user:amira"), ("limit", "1")]).await;
    assert!(newest["items"][0]["position"].as_i64().unwrap() > original[0], "the new events are there, on top");
    f.app.stop().await.unwrap();
}

/// Appends events of `user:amira` to a running app and waits until they are projected.
struct Writer {
    state: lawha::state::AppState,
}

impl Writer {
    async fn arrive(&self) {
        let events =
            (0..10).map(|i| NewEvent::new("BackupFailed", json!({"n": i}), metadata("user:amira", i))).collect();
        let stream = StreamId::parse("backup_run-late").unwrap();
        let appended = self.state.db.events.append(&stream, ExpectedVersion::Any, events).await.unwrap();
        eventually(Duration::from_secs(30), "the late events in the audit_log", || async {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE position = $1")
                .bind(appended.last_position)
                .fetch_one(&self.state.db.read_models)
                .await
                .unwrap();
            rows == 1
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_search_is_case_insensitive_and_treats_wildcards_literally() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    for q in
        ["100%", "%", "under_score", "_", r"BACK\SLASH", "mixed case NOTE", "USER:AMIRA", "backup COMPLETED", "ne2, w"]
    {
        let expected = f.text_matches(q);
        assert!(!expected.is_empty(), "the fixture must give q={q:?} something to find");
        assert_eq!(f.walk(&[("q", q)], 500).await, expected, "q={q:?}");
    }
    assert_eq!(f.walk(&[("q", "100%")], 500).await, f.expected(note("100% done")), "% is not a wildcard");
    assert_eq!(f.walk(&[("q", "under_score")], 500).await, f.expected(note("under_score")), "_ is not a wildcard");
    assert_eq!(f.walk(&[("q", r"k\s")], 500).await, f.expected(note(r"back\slash")), r"\ is not an escape");
    assert!(f.walk(&[("q", "no such text")], 500).await.is_empty());
    f.app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_raw_event_is_served_by_position_and_a_missing_one_is_404() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 5).await;
    let seeded = f.events.iter().filter(|e| e.actor != "system:test").nth(3).unwrap();
    let response = f.get(&format!("/api/v1/audit/{}", seeded.position), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let stored = f.app.state.db.events.read_all(seeded.position - 1, 1, &lawha_store::EventFilter::all()).await;
    assert_eq!(body, serde_json::to_value(&stored.unwrap()[0]).unwrap(), "the event exactly as recorded");
    assert_eq!(body["position"], seeded.position);
    assert_eq!(body["stream"], seeded.stream);
    assert_eq!(body["event_type"], seeded.event_type);
    assert_eq!(body["data"]["note"], NOTES[3]);
    assert_eq!(body["metadata"]["actor"], seeded.actor);
    // The chain value: the key id (8 bytes), then the HMAC (32), in hex.
    assert!(body["chain"].as_str().is_some_and(|c| c.len() == 80), "{body}");

    let past_the_end = (f.events.last().unwrap().position + 1).to_string();
    for missing in [past_the_end.as_str(), "0", "-1"] {
        let response = f.get(&format!("/api/v1/audit/{missing}"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "position {missing}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    f.app.stop().await.unwrap();
}
