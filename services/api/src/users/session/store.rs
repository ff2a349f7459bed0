//! Sessions stored in Lawha's own database (tower-sessions' published sqlx store does not build with sqlx 0.9).
//!
//! Two rules keep the table small and a copy of it harmless:
//! - The `id` column holds the SHA-256 of the session id, never the id: someone who reads the table (a backup,
//!   a replica, an SQL injection elsewhere) cannot use a row as a cookie.
//! - A session that holds nothing but the anonymous marker (a visitor who only loaded the sign-in page or asked
//!   `GET /api/v1/session`) is never written: its CSRF token is derived from its id (`super::csrf_token`), and an
//!   id the table does not know loads as such an anonymous session. So anonymous requests, however many, create
//!   no rows; a row appears when there is something to keep (a sign-in, a pending second factor, a language).

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use sqlx::{AnyPool, Row as _};
use tower_sessions::{
    SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store::{Error, Result},
};

/// The session key that names the signed-in user; copied into its own column on save.
pub const USER_KEY: &str = "user";
/// The marker of a session that was handed a CSRF token and holds nothing else: never stored.
pub const ANONYMOUS_KEY: &str = "anonymous";

/// What the table stores for a session id: its SHA-256, hex.
fn stored_id(id: &Id) -> String {
    hex::encode(Sha256::digest(format!("lawha/session/v1:{id}").as_bytes()))
}

/// Whether a record holds anything worth a row.
fn worth_keeping(record: &Record) -> bool {
    record.data.keys().any(|key| key != ANONYMOUS_KEY)
}

/// A [`SessionStore`] on the read-model pool (PostgreSQL or SQLite).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    pool: AnyPool,
}

impl DbSessionStore {
    /// A store on this pool.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Ends every session of `user` ("sign out everywhere"); returns how many there were.
    pub async fn delete_for_user(&self, user: &str) -> std::result::Result<u64, sqlx::Error> {
        self.delete_others(user, None).await
    }

    /// Ends every session of `user` but `keep` (the one changing the password); returns how many ended.
    pub async fn delete_others(&self, user: &str, keep: Option<Id>) -> std::result::Result<u64, sqlx::Error> {
        let keep = keep.map(|id| stored_id(&id)).unwrap_or_default();
        let done = sqlx::query("DELETE FROM sessions WHERE user_name = $1 AND id <> $2")
            .bind(user.to_owned())
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Removes expired sessions; run periodically.
    pub async fn purge_expired(&self) -> std::result::Result<u64, sqlx::Error> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

fn backend(e: &sqlx::Error) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts a new session, drawing another id on the (astronomically unlikely) collision, so a new session can
    /// never overwrite somebody else's.
    async fn create(&self, record: &mut Record) -> Result<()> {
        if !worth_keeping(record) {
            // The id is random already; an anonymous session lives in its cookie alone.
            return Ok(());
        }
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let user = record.data.get(USER_KEY).and_then(|v| v.as_str()).map(str::to_owned);
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, user_name, data, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(stored_id(&record.id))
            .bind(user.clone())
            .bind(data.clone())
            .bind(record.expiry_date.unix_timestamp())
            .execute(&self.pool)
            .await
            .map_err(|e| backend(&e))?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Writes a session worth keeping. An anonymous one is not written (a row whose data shrank back to the
    /// marker alone keeps what it had, which no flow does: signing out deletes the row).
    async fn save(&self, record: &Record) -> Result<()> {
        if !worth_keeping(record) {
            return Ok(());
        }
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let user = record.data.get(USER_KEY).and_then(|v| v.as_str()).map(str::to_owned);
        sqlx::query(
            "INSERT INTO sessions (id, user_name, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, data = excluded.data, \
             expires_at = excluded.expires_at",
        )
        .bind(stored_id(&record.id))
        .bind(user)
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(|e| backend(&e))?;
        Ok(())
    }

    /// The stored session, or an anonymous one for an id the table does not know (never stored, or ended).
    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(stored_id(id))
            .bind(now.unix_timestamp())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| backend(&e))?;
        let Some(row) = row else {
            let data = std::iter::once((ANONYMOUS_KEY.to_owned(), serde_json::Value::Bool(true))).collect();
            return Ok(Some(Record { id: *id, data, expiry_date: now }));
        };
        let data: String = row.get("data");
        let expires: i64 = row.get("expires_at");
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires).map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(id))
            .execute(&self.pool)
            .await
            .map_err(|e| backend(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_never_holds_the_id_itself() {
        let id = Id::default();
        let stored = stored_id(&id);
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&id.to_string()));
        assert_eq!(stored, stored_id(&id));
    }

    #[test]
    fn only_records_with_more_than_the_marker_are_kept() {
        let expiry = OffsetDateTime::now_utc();
        let mut record = Record { id: Id::default(), data: Default::default(), expiry_date: expiry };
        record.data.insert(ANONYMOUS_KEY.to_owned(), true.into());
        assert!(!worth_keeping(&record));
        record.data.insert("lang".to_owned(), "ar".into());
        assert!(worth_keeping(&record));
    }
}
