//! Secrets that events refer to instead of carrying: an event holds `secret:<id>`, the sealed value lives in the
//! `secrets` table beside the log. A line of an append-only log can never be deleted, so a sealed password or
//! age identity written into an event would stay readable by whoever reads raw events, for ever, and openable by
//! whoever ever learns the secret key; a row here is forgotten when the plan is deleted, its password changes or
//! the job that needed it is done.
//!
//! Values written before references existed are sealed values themselves (`sealed1:…`, `sealed2:…`); callers
//! pass whatever an event holds to [`sealed`], which reads a reference and returns anything else as it is.

use chrono::Utc;
use sqlx::AnyPool;
use uuid::Uuid;

use crate::StoreError;

/// The prefix of a reference.
pub const PREFIX: &str = "secret:";

/// Whether `value` is a reference (rather than a sealed value recorded before references existed).
pub fn is_reference(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// Keeps `sealed` (a value [`crate::SealKey::seal`] made) under a new id; returns the reference to record.
pub async fn keep(pool: &AnyPool, purpose: &str, sealed: &str) -> Result<String, StoreError> {
    let id = Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO secrets (id, purpose, sealed, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.clone())
        .bind(purpose.to_owned())
        .bind(sealed.to_owned())
        .bind(Utc::now().timestamp_micros())
        .execute(pool)
        .await?;
    Ok(format!("{PREFIX}{id}"))
}

/// The sealed value behind `value`: the row of a reference (None once it is forgotten), or `value` itself when it
/// is a sealed value recorded before references existed.
pub async fn sealed(pool: &AnyPool, value: &str) -> Result<Option<String>, StoreError> {
    let Some(id) = value.strip_prefix(PREFIX) else { return Ok(Some(value.to_owned())) };
    let row: Option<String> =
        sqlx::query_scalar("SELECT sealed FROM secrets WHERE id = $1").bind(id.to_owned()).fetch_optional(pool).await?;
    Ok(row)
}

/// Forgets the secret behind a reference (nothing for a sealed value recorded before references existed, which
/// lives in its event).
pub async fn forget(pool: &AnyPool, value: &str) -> Result<(), StoreError> {
    if let Some(id) = value.strip_prefix(PREFIX) {
        sqlx::query("DELETE FROM secrets WHERE id = $1").bind(id.to_owned()).execute(pool).await?;
    }
    Ok(())
}

/// Forgets each of `values` that is a reference, best effort: a failure is logged and the others are still
/// forgotten (an orphan row names nothing, and `forget_older` sweeps what a purpose leaves).
pub async fn forget_each<S: AsRef<str>>(pool: &AnyPool, values: impl IntoIterator<Item = S>) {
    for value in values {
        if let Err(e) = forget(pool, value.as_ref()).await {
            tracing::warn!(error = %e, "forgetting a secret failed");
        }
    }
}

/// Forgets every secret of `purpose` kept longer than `age` ago (identities of jobs that died, whose handler
/// never got to forget them); returns how many.
pub async fn forget_older(pool: &AnyPool, purpose: &str, age: chrono::TimeDelta) -> Result<u64, StoreError> {
    let before = (Utc::now() - age).timestamp_micros();
    let done = sqlx::query("DELETE FROM secrets WHERE purpose = $1 AND created_at < $2")
        .bind(purpose.to_owned())
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
