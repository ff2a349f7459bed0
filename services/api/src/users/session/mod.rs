//! Web sessions: server-side records (only a random id in the cookie, only its hash in the table), HttpOnly and
//! SameSite=Strict cookies, Secure in production, scoped to the UI's path (the security entrance when one is
//! set), an idle timeout and an absolute one (`session.idle_timeout_secs`, `session.absolute_timeout_secs`: 30 min
//! and 12 h by default), a new id at sign-in, a CSRF token per session, and "sign out everywhere".
//!
//! The CSRF token is derived from the session id (a hash the id cannot be recovered from), so it needs no
//! storage: an anonymous visitor gets a cookie and a token without a row (see `store.rs`), and the token changes
//! whenever the id does (at sign-in).

pub mod store;

use chrono::Utc;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite, cookie::time::Duration};

use sha2::{Digest as _, Sha256};

pub use store::{ANONYMOUS_KEY, DbSessionStore, USER_KEY};

/// The cookie's name.
pub const COOKIE: &str = "lawha_session";
/// When the user signed in (Unix seconds), for the absolute timeout.
pub const SIGNED_IN_AT: &str = "signed_in_at";

/// Seconds as a signed count, saturating (the configuration bounds timeouts to a year, far below the limit).
fn signed(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The session layer for the router: the cookie is sent only to `path` and below (the security entrance, or
/// `/`), and a session unused for `idle_secs` ends.
pub fn layer(store: DbSessionStore, secure: bool, path: &str, idle_secs: u64) -> SessionManagerLayer<DbSessionStore> {
    let path = if path.is_empty() { "/" } else { path };
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_path(path.to_owned())
        .with_expiry(Expiry::OnInactivity(Duration::seconds(signed(idle_secs))))
}

/// The session's CSRF token. A visitor without a session gets one now: an anonymous session, which has an id
/// (and so a cookie and a token) but no row.
pub async fn csrf_token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if session.id().is_none() {
        // An empty session would not be saved (nor get a cookie): the marker is what makes it one.
        if session.is_empty().await {
            session.insert(ANONYMOUS_KEY, true).await?;
        }
        session.save().await?;
    }
    expected_csrf(session).ok_or(tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend(
        "a saved session has no id".to_owned(),
    )))
}

/// The token a request riding on this session must carry; `None` without a session (no cookie).
pub fn expected_csrf(session: &Session) -> Option<String> {
    let id = session.id()?;
    Some(hex::encode(Sha256::digest(format!("lawha/csrf/v1:{id}").as_bytes())))
}

/// The signed-in user of a session, ending the session when it is more than `absolute_secs` past sign-in.
pub async fn signed_in_user(
    session: &Session,
    absolute_secs: u64,
) -> Result<Option<String>, tower_sessions::session::Error> {
    let Some(user) = session.get::<String>(USER_KEY).await? else { return Ok(None) };
    let since = session.get::<i64>(SIGNED_IN_AT).await?.unwrap_or(0);
    if Utc::now().timestamp().saturating_sub(since) > signed(absolute_secs) {
        session.flush().await?;
        return Ok(None);
    }
    Ok(Some(user))
}

/// The user whose password was accepted and whose second factor is awaited.
const PENDING_USER: &str = "pending_user";
/// When the password was accepted (Unix seconds).
const PENDING_AT: &str = "pending_at";
/// How long the second step may wait for its code.
pub const SECOND_FACTOR_WINDOW_SECS: i64 = 5 * 60;

/// Remembers that `user` gave the right password and must now give a code. The session is not signed in.
pub async fn await_second_factor(session: &Session, user: &str) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(PENDING_USER, user).await?;
    session.insert(PENDING_AT, Utc::now().timestamp()).await
}

/// The user awaiting a second factor in this session, if the password step was recent enough.
pub async fn pending_second_factor(session: &Session) -> Result<Option<String>, tower_sessions::session::Error> {
    let Some(user) = session.get::<String>(PENDING_USER).await? else { return Ok(None) };
    let at = session.get::<i64>(PENDING_AT).await?.unwrap_or(0);
    Ok((Utc::now().timestamp() - at <= SECOND_FACTOR_WINDOW_SECS).then_some(user))
}

/// Starts a signed-in session: a new id (so a planted id is worthless), the user, the time, and so a new CSRF
/// token.
pub async fn begin(session: &Session, user: &str) -> Result<String, tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.remove_value(PENDING_USER).await?;
    session.remove_value(PENDING_AT).await?;
    session.remove_value(ANONYMOUS_KEY).await?;
    session.insert(USER_KEY, user).await?;
    session.insert(SIGNED_IN_AT, Utc::now().timestamp()).await?;
    csrf_token(session).await
}
