//! A cache of recently used API tokens, so a busy API client does not cost a three-table read per request, and the
//! `last_used_at` bookkeeping (written at most once a minute per token, off the request path).
//!
//! Entries hold the token's stored hash and owner; every request still hashes the presented secret and compares it
//! in constant time. Every entry is dropped when the `users` read model changes, in this process or another one
//! (`projections::follow_changes`, fed after the commit and by PostgreSQL's notifications), so a revocation or a
//! role change applies at the next request; [`TTL`] bounds what a lost notification could leave.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use lawha_store::Database;
use uuid::Uuid;

use super::{
    UserError,
    commands::{TokenOwner, lookup_token},
    credentials,
};

/// How long an entry may be used without reading the read models again.
pub const TTL: Duration = Duration::from_secs(10);
/// How often a token's last use is written.
const USAGE_EVERY: Duration = Duration::from_secs(60);
/// Entries kept at most; beyond, the cache is emptied (a flood of distinct tokens must not grow memory).
const MAX_ENTRIES: usize = 10_000;

/// Bumped by the users projection whenever it applies an event: every cached entry older than the bump is stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks every cached token as stale (called by the users projection).
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

#[derive(Debug, Clone)]
struct Entry {
    hash: String,
    owner: TokenOwner,
    fetched: Instant,
    generation: u64,
    usage_written: Option<Instant>,
}

/// The cache; one per app.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl TokenCache {
    /// Checks a bearer token; `None` for anything not valid. Records its use (at most once a minute).
    pub async fn authenticate(&self, db: &Database, token: &str) -> Result<Option<TokenOwner>, UserError> {
        let Some((token_id, secret)) = split(token) else { return Ok(None) };
        let presented = credentials::hash_token_secret(secret);
        let generation = GENERATION.load(Ordering::Acquire);
        let cached = self.fresh(token_id, generation);
        let (hash, owner, write_usage) = match cached {
            Some(hit) => hit,
            None => {
                let Some((hash, owner)) = lookup_token(db, token_id).await? else { return Ok(None) };
                self.insert(token_id, &hash, &owner, generation);
                (hash, owner, true)
            }
        };
        if !credentials::constant_time_eq(&presented, &hash) {
            return Ok(None);
        }
        if write_usage {
            self.mark_usage_written(token_id);
            let pool = db.read_models.clone();
            tokio::spawn(async move {
                if let Err(error) = record_usage(&pool, token_id).await {
                    tracing::warn!(%error, "could not record a token's last use");
                }
            });
        }
        Ok(Some(owner))
    }

    /// A usable entry: (hash, owner, whether its usage is due for writing).
    fn fresh(&self, token_id: Uuid, generation: u64) -> Option<(String, TokenOwner, bool)> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(&token_id)?;
        if entry.generation != generation || entry.fetched.elapsed() > TTL {
            return None;
        }
        let due = entry.usage_written.is_none_or(|at| at.elapsed() > USAGE_EVERY);
        Some((entry.hash.clone(), entry.owner.clone(), due))
    }

    fn insert(&self, token_id: Uuid, hash: &str, owner: &TokenOwner, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let usage_written = entries.get(&token_id).and_then(|e| e.usage_written);
        entries.insert(
            token_id,
            Entry { hash: hash.to_owned(), owner: owner.clone(), fetched: Instant::now(), generation, usage_written },
        );
    }

    fn mark_usage_written(&self, token_id: Uuid) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(&token_id) {
            entry.usage_written = Some(Instant::now());
        }
    }
}

/// `lawha_<id>_<secret>` → (id, secret).
fn split(token: &str) -> Option<(Uuid, &str)> {
    let (id, secret) = token.strip_prefix("lawha_")?.split_once('_')?;
    Some((Uuid::parse_str(id).ok()?, secret))
}

async fn record_usage(pool: &sqlx::AnyPool, token_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO token_usage (token_id, last_used_at) VALUES ($1, $2) \
         ON CONFLICT (token_id) DO UPDATE SET last_used_at = excluded.last_used_at",
    )
    .bind(token_id.to_string())
    .bind(chrono::Utc::now().timestamp_micros())
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_into_id_and_secret() {
        let id = Uuid::new_v4();
        assert_eq!(split(&format!("lawha_{}_abc", id.simple())), Some((id, "abc")));
        assert_eq!(split("lawha_nothex_abc"), None);
        assert_eq!(split("bearer"), None);
    }
}
