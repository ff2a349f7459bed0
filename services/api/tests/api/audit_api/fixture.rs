//! The audit API's test fixture: the app with a viewer's token and a known set of appended events, the oracle
//! that says which of them a request must return, and the requests themselves.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lawha::audit::projection::summary;
use lawha::users;
use lawha_domain::users::{Role, Scope};
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, eventually, spawn_app};

const ACTORS: [&str; 3] = ["user:amira", "user:bashir", "token:deploy-bot"];
const TYPES: [&str; 4] = ["BackupCompleted", "BackupFailed", "SiteDeployed", "CertificateRenewed"];
const STREAMS: [&str; 5] = ["backup_run-0001", "backup_run-0002", "site-blog", "deployment-d1", "certificate-c1"];
pub const NOTES: [&str; 7] =
    ["100% done", "1000 done", "under_score", "underXscore", "Mixed CASE Note", r"back\slash", "plain"];
/// An actor a spreadsheet would run as a formula, with a comma and quotes for RFC 4180 quoting.
pub const FORMULA_ACTOR: &str = r#"=HYPERLINK("http://x","y")"#;
pub const MULTILINE_NOTE: &str = "line1\nline2, with comma";

pub const ITEM_KEYS: [&str; 9] =
    ["actor", "event_type", "ip", "position", "recorded_at", "request_id", "stream", "summary", "target"];

/// An appended event as the test knows it: the oracle responses are checked against.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub position: i64,
    pub actor: String,
    pub event_type: String,
    pub stream: String,
    pub summary: String,
    /// 1 before `Fixture::between`, 2 after.
    pub phase: u8,
}

/// The app with its routes and the events appended to it.
pub struct Fixture {
    pub app: TestApp,
    /// A read-scoped token of a viewer: the audit routes need the viewer level.
    token: String,
    pub events: Vec<Seeded>,
    /// A time strictly between the two phases of appends.
    pub between: DateTime<Utc>,
    next: usize,
}

impl Fixture {
    /// Starts the app on `url` and appends `per_phase` events, a pause, `per_phase` more and one event with a
    /// formula-like actor and a multi-line note; waits until the audit_log shows them all.
    pub async fn seed(url: &str, per_phase: usize) -> Fixture {
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
    pub fn expected(&self, keep: impl Fn(&Seeded) -> bool) -> Vec<i64> {
        let mut positions: Vec<i64> = self.events.iter().filter(|e| keep(e)).map(|e| e.position).collect();
        positions.sort_unstable_by(|a, b| b.cmp(a));
        positions
    }

    /// What the free-text search must find: a case-insensitive substring of summary, actor, type or stream.
    pub fn text_matches(&self, q: &str) -> Vec<i64> {
        let q = q.to_lowercase();
        self.expected(|e| {
            [&e.summary, &e.actor, &e.event_type, &e.stream].iter().any(|field| field.to_lowercase().contains(&q))
        })
    }

    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = reqwest::Url::parse(&self.app.url(path)).unwrap();
        for (key, value) in params {
            url.query_pairs_mut().append_pair(key, value);
        }
        self.app.client.get(url).bearer_auth(&self.token).send().await.unwrap()
    }

    pub async fn page(&self, params: &[(&str, &str)]) -> Value {
        let response = self.get("/api/v1/audit", params).await;
        assert_eq!(response.status(), StatusCode::OK, "GET /api/v1/audit {params:?}");
        response.json().await.unwrap()
    }

    /// Every position the list returns for `params`, following `next_before` to the end, newest first.
    pub async fn walk(&self, params: &[(&str, &str)], limit: usize) -> Vec<i64> {
        self.walk_with(params, limit, async || {}).await
    }

    /// [`Self::walk`], running `between_pages` after every page.
    pub async fn walk_with(
        &self,
        params: &[(&str, &str)],
        limit: usize,
        mut between_pages: impl AsyncFnMut(),
    ) -> Vec<i64> {
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

pub fn metadata(actor: &str, i: usize) -> Metadata {
    Metadata {
        actor: Some(actor.to_owned()),
        ip: Some(format!("192.0.2.{}", i % 250)),
        request_id: Some(format!("req-{i}")),
        ..Metadata::default()
    }
}

/// Events whose summary shows this note.
pub fn note(text: &'static str) -> impl Fn(&Seeded) -> bool {
    move |e| e.summary.contains(&format!("note={text}"))
}
