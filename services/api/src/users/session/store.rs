//! Sessions stored in Lawha's own database (tower-sessions' published sqlx store does not build with sqlx 0.9).

use async_trait::async_trait;
use sqlx::{AnyPool, Row as _};
use tower_sessions::{
    SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store::{Error, Result},
};

/// The session key that names the signed-in user; copied into its own column on save.
pub const USER_KEY: &str = "user";

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
        let done =
            sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(user.to_owned()).execute(&self.pool).await?;
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
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let user = record.data.get(USER_KEY).and_then(|v| v.as_str()).map(str::to_owned);
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, user_name, data, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
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

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let user = record.data.get(USER_KEY).and_then(|v| v.as_str()).map(str::to_owned);
        sqlx::query(
            "INSERT INTO sessions (id, user_name, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, data = excluded.data, \
             expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(user)
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .execute(&self.pool)
        .await
        .map_err(|e| backend(&e))?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(OffsetDateTime::now_utc().unix_timestamp())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| backend(&e))?;
        let Some(row) = row else { return Ok(None) };
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
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(|e| backend(&e))?;
        Ok(())
    }
}
