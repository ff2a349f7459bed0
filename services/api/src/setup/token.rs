//! The first-start setup token: on a development install without any user, `lawha serve` prints a one-time
//! link that creates the first admin, so nobody needs the CLI to get in.
//!
//! The token is 256 random bits shown once. Only its SHA-256 is kept, in the `credentials` table under the
//! subject `setup`, with its expiry in front (`<expires at, Unix seconds>:<hex hash>`), so a credential row is
//! all it takes and no migration is needed. Issuing a new token replaces the old one. Using it deletes the row
//! with a compare-and-delete, so of two concurrent uses only one wins. Like every credential it never enters
//! the event log.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sqlx::AnyPool;

use crate::users::credentials;

/// The credential subject of the setup token.
pub const SUBJECT: &str = "setup";
/// How long a setup token is valid.
pub const VALID_FOR_SECS: i64 = 3600;

/// A token taken out of the table by [`claim`], to be put back by [`restore`] when creating the admin fails.
#[derive(Debug)]
pub struct Claim {
    stored: String,
}

/// Whether `token` has the shape of a setup token (64 hex digits), checked before any database work.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Creates a token valid for [`VALID_FOR_SECS`] from `now`, replacing any older one, and returns it.
pub async fn issue(pool: &AnyPool, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires_at = now.timestamp() + VALID_FOR_SECS;
    credentials::store(pool, SUBJECT, &stored_form(expires_at, &credentials::hash_token_secret(&token))).await?;
    Ok(token)
}

/// Whether `token` is the current setup token and has not expired at `now`.
pub async fn is_valid(pool: &AnyPool, token: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    Ok(current(pool, token, now).await?.is_some())
}

/// Takes the token out of the table if it is valid at `now`: `None` when it is not, or when a concurrent use
/// took it first.
pub async fn claim(pool: &AnyPool, token: &str, now: DateTime<Utc>) -> Result<Option<Claim>, sqlx::Error> {
    let Some(stored) = current(pool, token, now).await? else { return Ok(None) };
    let deleted = sqlx::query("DELETE FROM credentials WHERE subject = $1 AND hash = $2")
        .bind(SUBJECT)
        .bind(stored.clone())
        .execute(pool)
        .await?
        .rows_affected();
    Ok((deleted == 1).then_some(Claim { stored }))
}

/// Puts a claimed token back, unless a newer one was issued meanwhile.
pub async fn restore(pool: &AnyPool, claim: Claim) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO credentials (subject, hash, updated_at) VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING",
    )
    .bind(SUBJECT)
    .bind(claim.stored)
    .bind(Utc::now().timestamp_micros())
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether any user exists, asked of the log itself: the `users` read model may still be catching up at start
/// (after a rebuild, or right after `lawha admin create-user`), and a setup link must never appear then.
pub async fn any_user(db: &lawha_store::Database) -> Result<bool, lawha_store::StoreError> {
    let filter = lawha_store::EventFilter::categories(["user"]);
    Ok(!db.events.read_all(0, 1, &filter).await?.is_empty())
}

/// The stored row's text when `token` matches it and it has not expired.
async fn current(pool: &AnyPool, token: &str, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(stored) = credentials::load(pool, SUBJECT).await? else { return Ok(None) };
    let Some((expires_at, hash)) = parse_stored(&stored) else { return Ok(None) };
    let matches = credentials::constant_time_eq(&credentials::hash_token_secret(token), hash);
    Ok((matches && now.timestamp() < expires_at).then_some(stored))
}

fn stored_form(expires_at: i64, hash: &str) -> String {
    format!("{expires_at}:{hash}")
}

fn parse_stored(stored: &str) -> Option<(i64, &str)> {
    let (expires_at, hash) = stored.split_once(':')?;
    Some((expires_at.parse().ok()?, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_form_round_trips_and_tokens_have_one_shape() {
        let stored = stored_form(1_700_000_000, "ab12");
        assert_eq!(parse_stored(&stored), Some((1_700_000_000, "ab12")));
        assert_eq!(parse_stored("garbage"), None);
        assert!(well_formed(&"a1".repeat(32)));
        assert!(!well_formed(&"a1".repeat(31)));
        assert!(!well_formed(&format!("{}zz", "a".repeat(62))));
    }
}
