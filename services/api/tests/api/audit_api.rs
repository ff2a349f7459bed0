//! The audit review API on the real app: filters and their exact counts (PostgreSQL and SQLite), paging that
//! stays stable while events arrive, free-text search, strict query validation, the raw event, and the
//! streamed CSV and JSON Lines exports. Every answer is checked against what the test itself appended.

use crate::common;

use std::{collections::BTreeSet, time::Duration};

use chrono::{DateTime, Utc};
use common::{TestApp, eventually, postgres, spawn_app};
use lawha::audit::projection::summary;
use lawha::users;
use lawha_domain::users::{Role, Scope};
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamId};
use lawha_store::testkit::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ACTORS: [&str; 3] = ["user:amira", "user:bashir", "token:deploy-bot"];
const TYPES: [&str; 4] = ["BackupCompleted", "BackupFailed", "SiteDeployed", "CertificateRenewed"];
const STREAMS: [&str; 5] = ["backup_run-0001", "backup_run-0002", "site-blog", "deployment-d1", "certificate-c1"];
const NOTES: [&str; 7] =
    ["100% done", "1000 done", "under_score", "underXscore", "Mixed CASE Note", r"back\slash", "plain"];
/// An actor a spreadsheet would run as a formula, with a comma and quotes for RFC 4180 quoting.
const FORMULA_ACTOR: &str = r#"=HYPERLINK("http://x","y")"#;
const MULTILINE_NOTE: &str = "line1\nline2, with comma";
/// Query parameters of one request, as the test writes them.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// A refused request: path, query parameters and the parameter its error message must name.
type BadQuery<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

const ITEM_KEYS: [&str; 9] =
    ["actor", "event_type", "ip", "position", "recorded_at", "request_id", "stream", "summary", "target"];

/// An appended event as the test knows it: the oracle responses are checked against.
#[derive(Debug, Clone)]
struct Seeded {
    position: i64,
    actor: String,
    event_type: String,
    stream: String,
    summary: String,
    /// 1 before `Fixture::between`, 2 after.
    phase: u8,
}

/// The app with its routes and the events appended to it.
struct Fixture {
    app: TestApp,
    /// A read-scoped token of a viewer: the audit routes need the viewer level.
    token: String,
    events: Vec<Seeded>,
    /// A time strictly between the two phases of appends.
    between: DateTime<Utc>,
    next: usize,
}

impl Fixture {
    /// Starts the app on `url` and appends `per_phase` events, a pause, `per_phase` more and one event with a
    /// formula-like actor and a multi-line note; waits until the audit_log shows them all.
    async fn seed(url: &str, per_phase: usize) -> Fixture {
        let app = spawn_app(url).await;
        let meta = lawha_domain::Metadata { actor: Some("system:test".into()), ..Default::default() };
        let db = &app.state.db;
        users::create_user(db, "auditor", Role::Viewer, "a long enough password", &meta).await.unwrap();
        let token = users::create_token(db, "auditor", "audit-tests", vec![Scope::Read], &meta).await.unwrap().token;
        // The account's own events are in the audit log too: seed them as phase 1 like any other.
        let mut events = vec![];
        for event in db.events.read_all(0, 100, &lawha_store::EventFilter::all()).await.unwrap() {
            events.push(Seeded {
                position: event.position,
                actor: event.metadata.actor.clone().unwrap(),
                event_type: event.event_type.clone(),
                stream: event.stream.to_string(),
                summary: summary(&event),
                phase: 1,
            });
        }
        let mut fixture = Fixture { app, token, events, between: Utc::now(), next: 0 };
        fixture.append(per_phase, 1, None).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        fixture.between = Utc::now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        fixture.append(per_phase, 2, None).await;
        let special = NewEvent::new("SiteDeployed", json!({"note": MULTILINE_NOTE}), metadata(FORMULA_ACTOR, 0));
        fixture.record(&StreamId::parse("site-blog").unwrap(), vec![special], 2).await;
        fixture.caught_up().await;
        fixture
    }

    /// Appends `count` events in batches of 100 to one stream each, actors, types and notes cycling.
    async fn append(&mut self, count: usize, phase: u8, actor: Option<&str>) {
        for start in (0..count).step_by(100) {
            let stream = StreamId::parse(STREAMS[(self.next / 100) % STREAMS.len()]).unwrap();
            let batch = (start..count.min(start + 100))
                .map(|_| {
                    let i = self.next;
                    self.next += 1;
                    let data = json!({"note": NOTES[i % NOTES.len()], "n": i});
                    NewEvent::new(TYPES[i % TYPES.len()], data, metadata(actor.unwrap_or(ACTORS[i % 3]), i))
                })
                .collect();
            self.record(&stream, batch, phase).await;
        }
    }

    async fn record(&mut self, stream: &StreamId, batch: Vec<NewEvent>, phase: u8) {
        let appended = self.app.state.db.events.append(stream, ExpectedVersion::Any, batch.clone()).await.unwrap();
        for (event, position) in batch.into_iter().zip(appended.first_position..) {
            let recorded = RecordedEvent {
                position,
                event_id: event.event_id,
                stream: stream.clone(),
                version: 1,
                event_type: event.event_type.clone(),
                schema_version: 1,
                data: event.data.clone(),
                metadata: event.metadata.clone(),
                recorded_at: Utc::now(),
                chain: vec![],
            };
            self.events.push(Seeded {
                position,
                actor: event.metadata.actor.clone().unwrap(),
                event_type: event.event_type,
                stream: stream.to_string(),
                summary: summary(&recorded),
                phase,
            });
        }
    }

    async fn caught_up(&self) {
        let total = self.events.len() as i64;
        eventually(Duration::from_secs(60), "the audit_log to show every appended event", || async {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                .fetch_one(&self.app.state.db.read_models)
                .await
                .unwrap();
            rows == total
        })
        .await;
    }

    /// Positions of the seeded events that pass `keep`, newest first.
    fn expected(&self, keep: impl Fn(&Seeded) -> bool) -> Vec<i64> {
        let mut positions: Vec<i64> = self.events.iter().filter(|e| keep(e)).map(|e| e.position).collect();
        positions.sort_unstable_by(|a, b| b.cmp(a));
        positions
    }

    /// What the free-text search must find: a case-insensitive substring of summary, actor, type or stream.
    fn text_matches(&self, q: &str) -> Vec<i64> {
        let q = q.to_lowercase();
        self.expected(|e| {
            [&e.summary, &e.actor, &e.event_type, &e.stream].iter().any(|field| field.to_lowercase().contains(&q))
        })
    }

    async fn get(&self, path: &str, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = reqwest::Url::parse(&self.app.url(path)).unwrap();
        for (key, value) in params {
            url.query_pairs_mut().append_pair(key, value);
        }
        self.app.client.get(url).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn page(&self, params: &[(&str, &str)]) -> Value {
        let response = self.get("/api/v1/audit", params).await;
        assert_eq!(response.status(), StatusCode::OK, "GET /api/v1/audit {params:?}");
        response.json().await.unwrap()
    }

    /// Every position the list returns for `params`, following `next_before` to the end, newest first.
    async fn walk(&self, params: &[(&str, &str)], limit: usize) -> Vec<i64> {
        self.walk_with(params, limit, async || {}).await
    }

    /// [`Self::walk`], running `between_pages` after every page.
    async fn walk_with(&self, params: &[(&str, &str)], limit: usize, mut between_pages: impl AsyncFnMut()) -> Vec<i64> {
        let (limit, mut positions, mut before) = (limit.to_string(), vec![], None::<String>);
        loop {
            let mut query = params.to_vec();
            query.push(("limit", &limit));
            if let Some(before) = &before {
                query.push(("before", before));
            }
            let page = self.page(&query).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= limit.parse().unwrap());
            positions.extend(items.iter().map(|item| item["position"].as_i64().unwrap()));
            match page["next_before"].as_i64() {
                Some(next) => {
                    assert_eq!(Some(next), positions.last().copied(), "next_before is the smallest position returned");
                    before = Some(next.to_string());
                }
                None => break,
            }
            between_pages().await;
        }
        assert!(positions.windows(2).all(|w| w[0] > w[1]), "pages are newest first, without repeats: {params:?}");
        positions
    }
}

fn metadata(actor: &str, i: usize) -> Metadata {
    Metadata {
        actor: Some(actor.to_owned()),
        ip: Some(format!("192.0.2.{}", i % 250)),
        request_id: Some(format!("req-{i}")),
        ..Metadata::default()
    }
}

/// Events whose summary shows this note.
fn note(text: &'static str) -> impl Fn(&Seeded) -> bool {
    move |e| e.summary.contains(&format!("note={text}"))
}

fn assert_invalid_query(body: &Value, parameter: &str) {
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(parameter), "the message names {parameter}: {body}");
    assert!(!body["error"]["message"].as_str().unwrap().contains("deserialize"), "our message, not axum's: {body}");
    assert!(body["error"]["details"].is_object(), "{body}");
}

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
async fn bad_query_parameters_are_400_invalid_query_naming_the_parameter() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 0).await;
    let cases: [BadQuery; 16] = [
        ("/api/v1/audit", &[("sort", "asc")], "sort"),
        ("/api/v1/audit", &[("since", "yesterday")], "`since`"),
        ("/api/v1/audit", &[("until", "2025-13-01T00:00:00Z")], "`until`"),
        ("/api/v1/audit", &[("since", "2025-02-01T00:00:00Z"), ("until", "2025-01-01T00:00:00+01:00")], "`since`"),
        ("/api/v1/audit", &[("limit", "0")], "`limit`"),
        ("/api/v1/audit", &[("limit", "501")], "`limit`"),
        ("/api/v1/audit", &[("limit", "ten")], "`limit`"),
        ("/api/v1/audit", &[("before", "-3")], "`before`"),
        ("/api/v1/audit", &[("stream", "Bad Stream")], "`stream`"),
        ("/api/v1/audit", &[("stream", "site-has space")], "`stream`"),
        ("/api/v1/audit", &[("event_type", "Backup-Completed")], "`event_type`"),
        ("/api/v1/audit", &[("actor", "a"), ("actor", "b")], "`actor`"),
        ("/api/v1/audit/export", &[("format", "xml")], "`format`"),
        ("/api/v1/audit/export", &[], "`format`"),
        ("/api/v1/audit/export", &[("format", "csv"), ("limit", "10")], "limit"),
        ("/api/v1/audit/export", &[("format", "csv"), ("since", "2025-01-01")], "`since`"),
    ];
    for (path, params, parameter) in cases {
        let response = f.get(path, params).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {params:?}");
        assert_invalid_query(&response.json().await.unwrap(), parameter);
    }
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
    assert!(body["chain"].as_str().is_some_and(|c| c.len() == 64), "{body}");

    let past_the_end = (f.events.last().unwrap().position + 1).to_string();
    for missing in [past_the_end.as_str(), "0", "-1"] {
        let response = f.get(&format!("/api/v1/audit/{missing}"), &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "position {missing}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    f.app.stop().await.unwrap();
}

/// A small RFC 4180 reader: records of fields, quoted fields may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted && field.is_empty() && record.is_empty(), "the export ends with a complete record");
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_streams_every_filtered_row_quoted_and_with_formulas_defused() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    let response = f.get("/api/v1/audit/export", &[("format", "csv"), ("stream", "site-blog")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"lawha-audit-") && disposition.ends_with("Z.csv\""),
        "{disposition}"
    );
    let records = parse_csv(&response.text().await.unwrap());
    assert_eq!(records[0], ["position", "recorded_at", "actor", "ip", "event_type", "stream", "summary", "request_id"]);
    let positions: Vec<i64> = records[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    let mut expected = f.expected(|e| e.stream == "site-blog");
    expected.reverse();
    assert_eq!(positions, expected, "every filtered row once, oldest first");
    assert!(records.iter().all(|r| r.len() == 8));
    let formula = records.last().unwrap();
    assert_eq!(formula[2], format!("'{FORMULA_ACTOR}"), "a formula-like field starts with '");
    assert!(formula[6].ends_with(&format!("(note={MULTILINE_NOTE})")), "{formula:?}");

    let everything = f.get("/api/v1/audit/export", &[("format", "csv")]).await.text().await.unwrap();
    assert_eq!(parse_csv(&everything).len() - 1, f.events.len(), "more rows than one page of 1000");
    f.app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_lines_export_has_one_object_per_filtered_row() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    let between = f.between.to_rfc3339();
    let params = [("format", "jsonl"), ("event_type", "BackupFailed"), ("since", between.as_str())];
    let response = f.get("/api/v1/audit/export", &params).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert!(response.headers()["content-disposition"].to_str().unwrap().ends_with(".jsonl\""));
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let rows: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let mut expected = f.expected(|e| e.event_type == "BackupFailed" && e.phase == 2);
    expected.reverse();
    assert_eq!(rows.iter().map(|r| r["position"].as_i64().unwrap()).collect::<Vec<_>>(), expected);
    let keys: BTreeSet<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(ITEM_KEYS), "the same keys as the list items");
    f.app.stop().await.unwrap();
}
