//! Web sessions: server-side records (only a random id in the cookie), HttpOnly and SameSite=Strict cookies,
//! Secure in production, an idle timeout (30 min) and an absolute one (12 h), a new id at sign-in, a CSRF token
//! per session, and "sign out everywhere".

pub mod signin;
pub mod store;

use chrono::Utc;
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite, cookie::time::Duration};

pub use store::{DbSessionStore, USER_KEY};

/// The cookie's name.
pub const COOKIE: &str = "lawha_session";
/// When the user signed in (Unix seconds), for the absolute timeout.
pub const SIGNED_IN_AT: &str = "signed_in_at";
/// The session's CSRF token.
pub const CSRF_KEY: &str = "csrf";
/// A session unused this long ends.
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in, used or not.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;

/// The session layer for the router.
pub fn layer(store: DbSessionStore, secure: bool) -> SessionManagerLayer<DbSessionStore> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::seconds(IDLE_TIMEOUT_SECS)))
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(token) = session.get::<String>(CSRF_KEY).await? {
        return Ok(token);
    }
    let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    session.insert(CSRF_KEY, &token).await?;
    Ok(token)
}

/// The signed-in user of a session, ending the session when it has outlived the absolute timeout.
pub async fn signed_in_user(session: &Session) -> Result<Option<String>, tower_sessions::session::Error> {
    let Some(user) = session.get::<String>(USER_KEY).await? else { return Ok(None) };
    let since = session.get::<i64>(SIGNED_IN_AT).await?.unwrap_or(0);
    if Utc::now().timestamp() - since > ABSOLUTE_TIMEOUT_SECS {
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

/// Starts a signed-in session: a new id (so a planted id is worthless), the user, the time, a new CSRF token.
pub async fn begin(session: &Session, user: &str) -> Result<String, tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.remove_value(PENDING_USER).await?;
    session.remove_value(PENDING_AT).await?;
    session.insert(USER_KEY, user).await?;
    session.insert(SIGNED_IN_AT, Utc::now().timestamp()).await?;
    session.remove_value(CSRF_KEY).await?;
    csrf_token(session).await
}
