//! The panel a browser scenario runs against: the real app on port 0 with a PostgreSQL database of its own,
//! and the few things scenarios do to it directly (create a user, append an event, ask the API).

use std::time::Duration;

use lawha::users;
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId, users::Role};
use lawha_store::testkit::TestDb;
use serde_json::{Value, json};

use crate::common::{self, TestApp};

/// The password every scenario user gets.
pub const PASSWORD: &str = "a long enough password";

/// A running panel.
pub struct Panel {
    /// The app.
    pub app: TestApp,
    _db: TestDb,
}

impl Panel {
    /// Starts the panel on a fresh database.
    pub async fn start() -> Panel {
        let db = common::postgres().await;
        let app = common::spawn_app(&db.url).await;
        Panel { app, _db: db }
    }

    /// `http://127.0.0.1:<port>`, what the browser opens.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.app.addr)
    }

    /// Creates `name` with `role` and [`PASSWORD`], and waits until the users projection knows them (sign-in
    /// reads it).
    pub async fn create_user(&self, name: &str, role: Role) {
        users::create_user(&self.app.state.db, name, role, PASSWORD, &Metadata::default())
            .await
            .unwrap_or_else(|e| panic!("creating user {name} failed: {e}"));
        let query = "SELECT COUNT(*) FROM users WHERE name = $1";
        common::eventually(Duration::from_secs(15), "the users projection to list the new user", || async {
            sqlx::query_scalar::<_, i64>(query).bind(name).fetch_one(&self.app.state.db.read_models).await.unwrap() == 1
        })
        .await;
    }

    /// Appends one event of `event_type` to a new `note-…` stream, as `actor`; returns its position.
    pub async fn append(&self, event_type: &str, actor: &str) -> i64 {
        let stream = StreamId::parse(format!("note-{}", uuid::Uuid::now_v7())).expect("a valid stream id");
        let metadata = Metadata { actor: Some(actor.to_owned()), ..Metadata::default() };
        let event = NewEvent::new(event_type, json!({"text": "from the browser tests"}), metadata);
        let appended =
            self.app.state.db.events.append(&stream, ExpectedVersion::Exact(0), vec![event]).await.expect("append");
        appended.first_position
    }

    /// Waits until the audit_log read model has every event up to `position` (pages read it, not the log).
    pub async fn wait_for_audit_log(&self, position: i64) {
        let query = "SELECT COALESCE(MAX(position), 0) FROM audit_log";
        common::eventually(Duration::from_secs(15), "the audit_log projection to catch up", || async {
            sqlx::query_scalar::<_, i64>(query).fetch_one(&self.app.state.db.read_models).await.unwrap() >= position
        })
        .await;
    }

    /// GETs `path` of the JSON API with a session `cookie` (`lawha_session=…`) and returns the body.
    pub async fn api(&self, cookie: &str, path: &str) -> Value {
        let response = self.app.client.get(self.app.url(path)).header("cookie", cookie).send().await.expect("API");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    /// Stops the app, then drops its database.
    pub async fn stop(self) {
        self.app.stop().await.expect("the app stopped cleanly");
    }
}
