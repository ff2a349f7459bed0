//! Whether the principal that opened a stream may still read it. A request is authorised once, but a stream
//! lives for hours: it checks again every [`RECHECK`], when the users read model changes (a token revoked, a role
//! changed, a user removed) and when the log says its user signed out, and ends when the answer is no. The
//! checks read the credential's rows themselves, past the token cache, so a stale cache entry cannot keep a
//! stream alive.

use std::time::Duration;

use axum::http::{HeaderMap, header};
use lawha_domain::{RecordedEvent, users::Role};
use tower_sessions::{SessionStore as _, session::Id};
use uuid::Uuid;

use crate::{
    http::auth::Principal,
    state::AppState,
    users::{
        commands::lookup_token,
        credentials,
        session::{DbSessionStore, SIGNED_IN_AT, USER_KEY},
    },
};

/// How often a stream checks its principal with no reason to.
pub const RECHECK: Duration = Duration::from_secs(15);
/// The level reading the stream needs (the route table's `Need::AtLeast(Role::Viewer)`).
const NEEDED: Role = Role::Viewer;

/// What the stream was opened with.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An API token: its id and the secret presented.
    Token(Uuid, String),
    /// A signed-in session.
    Session(Id),
}

impl Credential {
    /// The credential behind `principal` in this request: the bearer token, or the session's id.
    pub fn of(principal: &Principal, headers: &HeaderMap, session: &tower_sessions::Session) -> Option<Self> {
        if principal.interactive {
            return session.id().map(Self::Session);
        }
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let (id, secret) = token.trim().strip_prefix("lawha_")?.split_once('_')?;
        Some(Self::Token(Uuid::parse_str(id).ok()?, secret.to_owned()))
    }
}

/// Whether the principal still holds the power to read the stream. An error (the database is away) is not a
/// no: the stream waits for the database like every reader.
pub async fn still_allowed(state: &AppState, credential: &Credential, user: &str) -> Result<bool, anyhow::Error> {
    match credential {
        Credential::Token(id, secret) => {
            let Some((hash, owner)) = lookup_token(&state.db, *id).await? else { return Ok(false) };
            let presented = credentials::hash_token_secret(secret);
            Ok(credentials::constant_time_eq(&presented, &hash) && owner.user == user && owner.level >= NEEDED)
        }
        Credential::Session(id) => {
            let store = DbSessionStore::new(state.db.read_models.clone());
            let Some(record) = store.load(id).await.map_err(|e| anyhow::anyhow!("{e}"))? else { return Ok(false) };
            if record.data.get(USER_KEY).and_then(|v| v.as_str()) != Some(user) {
                return Ok(false);
            }
            let since = record.data.get(SIGNED_IN_AT).and_then(serde_json::Value::as_i64).unwrap_or(0);
            let absolute = i64::try_from(state.config.session.absolute_timeout_secs).unwrap_or(i64::MAX);
            if chrono::Utc::now().timestamp().saturating_sub(since) > absolute {
                return Ok(false);
            }
            let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE name = $1")
                .bind(user.to_owned())
                .fetch_optional(&state.db.read_models)
                .await?;
            Ok(role.and_then(|r| r.parse::<Role>().ok()).is_some_and(|level| level >= NEEDED))
        }
    }
}

/// Whether `event` says that `user` signed out (here, or everywhere): the session is deleted just after the
/// event is appended, so the stream checks then and once more a moment later.
pub fn signs_out(event: &RecordedEvent, user: &str) -> bool {
    event.event_type.starts_with("SignedOut")
        && event.stream.category() == "sign_in"
        && event.data.get("user").and_then(|v| v.as_str()) == Some(user)
}
