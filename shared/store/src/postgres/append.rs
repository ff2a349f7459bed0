//! The statements of a PostgreSQL append: reading the state a batch is decided on, and writing a decided batch
//! through `lawha_append` (migration 0006), which checks under the append lock that the head is still the one the
//! batch was decided on. The locked path here decides under the lock itself and always makes progress; the
//! pipeline (`pipeline.rs`) decides ahead of the lock and falls back to this path when another process got there
//! first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row as _};
use uuid::Uuid;

use crate::{
    AppendError, Appended, ChainKey, StoreError,
    batch::{self, AppendRequest, Loaded, Plan, StoredRef},
};

/// The advisory lock key that serializes appends across every process sharing the database (invariant 5): "lawha"
/// in ASCII (0x6c61776861), the one `lawha_append` and `lawha_batch_state` take.
const APPEND_LOCK: i64 = 465_491_683_425;

/// What a batch is decided on (the head, the versions of the batch's streams, the batch's ids already stored), read
/// by `lawha_batch_state` (migration 0010) in one statement: without the lock for the pipeline, or after taking it
/// at session level for the locked path, where it stays held until `lawha_append_unlock` has committed the batch or
/// until `pg_advisory_unlock`.
const STATE: &str = "SELECT kind, stream_id, version, event_id, position, chain FROM lawha_batch_state($1, $2, $3)";

/// What a batch is decided on, read without any lock.
pub(super) async fn load<'c>(conn: impl sqlx::PgExecutor<'c>, batch: &[AppendRequest]) -> Result<Loaded, sqlx::Error> {
    read_state(conn, batch, false).await
}

async fn read_state<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    batch: &[AppendRequest],
    lock: bool,
) -> Result<Loaded, sqlx::Error> {
    let streams: Vec<&str> = batch.iter().map(|r| r.stream.as_str()).collect();
    let ids: Vec<Uuid> = batch.iter().flat_map(|r| r.events.iter().map(|e| e.event_id)).collect();
    let lookups = sqlx::query(STATE).bind(&streams).bind(&ids).bind(lock).fetch_all(conn).await?;
    let mut loaded = Loaded {
        head_position: 0,
        head_chain: crate::chain::GENESIS.to_vec(),
        versions: HashMap::new(),
        existing: HashMap::new(),
    };
    for row in lookups {
        match row.get::<&str, _>("kind") {
            "h" => {
                loaded.head_position = row.get("position");
                loaded.head_chain = row.get("chain");
            }
            "s" => {
                loaded.versions.insert(row.get("stream_id"), row.get("version"));
            }
            _ => {
                let stored = StoredRef { position: row.get("position"), version: row.get("version") };
                loaded.existing.insert(row.get("event_id"), stored);
            }
        }
    }
    Ok(loaded)
}

/// What one `lawha_append` call writes: a decided batch's rows, the final versions of its streams, the head it was
/// decided on (`from`) and the head it leaves (`to`), and the stream versions it assumed without reading them.
#[derive(Debug)]
pub(super) struct Write {
    pub from: (i64, Vec<u8>),
    pub to: (i64, Vec<u8>),
    pub assumed: Vec<(String, i64)>,
    pub rows: Vec<batch::Row>,
    pub streams: Vec<(String, String, i64)>,
}

/// What `lawha_append` answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The rows are written (and, outside a transaction, committed).
    Written,
    /// Nothing written: the head is still before `from` (the call it was decided on top of has not landed yet).
    Early,
    /// Nothing written: the head is past or beside `from` (another process appended).
    Moved,
    /// Nothing written: a stream is not at the version assumed, or an event id is already stored.
    Stale,
}

/// The 20 arguments of `lawha_append` and of `lawha_append_unlock`, which wraps it, in order.
macro_rules! write_args {
    () => {
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    };
}
const WRITE: &str = concat!("SELECT lawha_append", write_args!());
const WRITE_AND_UNLOCK: &str = concat!("CALL lawha_append_unlock", write_args!());

/// Calls `lawha_append` with a decided batch.
pub(super) async fn write<'c>(conn: impl sqlx::PgExecutor<'c>, w: &Write) -> Result<Outcome, sqlx::Error> {
    let answer: i16 = bind_write(sqlx::query(WRITE), w).fetch_one(conn).await?.try_get(0)?;
    Ok(match answer {
        0 => Outcome::Written,
        1 => Outcome::Early,
        2 => Outcome::Moved,
        _ => Outcome::Stale,
    })
}

/// Binds a decided batch as the arguments of `lawha_append` (or of the procedure that wraps it).
fn bind_write<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    w: &'q Write,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let rows = &w.rows;
    let text = |f: fn(&batch::Row) -> &String| rows.iter().map(|r| f(r).as_str()).collect::<Vec<_>>();
    let now: DateTime<Utc> = rows.first().map_or_else(Utc::now, |r| r.recorded_at);
    query
        .bind(w.from.0)
        .bind(&w.from.1)
        .bind(w.assumed.iter().map(|a| a.0.as_str()).collect::<Vec<_>>())
        .bind(w.assumed.iter().map(|a| a.1).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.position).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(text(|r| &r.stream))
        .bind(text(|r| &r.category))
        .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
        .bind(text(|r| &r.event_type))
        .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
        .bind(text(|r| &r.data))
        .bind(text(|r| &r.metadata))
        .bind(now)
        .bind(rows.iter().map(|r| r.chain.as_slice()).collect::<Vec<_>>())
        .bind(w.streams.iter().map(|s| s.0.as_str()).collect::<Vec<_>>())
        .bind(w.streams.iter().map(|s| s.1.as_str()).collect::<Vec<_>>())
        .bind(w.streams.iter().map(|s| s.2).collect::<Vec<_>>())
        .bind(w.to.0)
        .bind(&w.to.1)
}

/// The locked path: takes the append lock first, then reads and decides, so the head cannot move underneath and
/// the batch is always written. Two round trips (lock and read, then write, commit and unlock) with one client turn
/// inside the lock, against the pipeline's one round trip, which is why it is the fallback, not the rule.
pub(super) async fn write_locked(
    pool: &PgPool,
    key: &ChainKey,
    batch: &[AppendRequest],
) -> Result<Decided, StoreError> {
    let mut conn = LockedConnection(pool.acquire().await?, true);
    let loaded = read_state(&mut *conn.0, batch, true).await?;
    let from = (loaded.head_position, loaded.head_chain.clone());
    let Plan { rows, streams, head, results } = batch::plan(key, loaded, batch, Utc::now());
    let (start, mut last) = (from.0, from.clone());
    if let Some(to) = head {
        last.clone_from(&to);
        let w = Write { from, to, assumed: Vec::new(), rows, streams };
        bind_write(sqlx::query(WRITE_AND_UNLOCK), &w).execute(&mut *conn.0).await?;
    } else {
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(APPEND_LOCK).execute(&mut *conn.0).await?;
    }
    conn.1 = false;
    Ok(Decided { wrote: last.0 > start, head: last, results })
}

/// A connection that may hold the append lock at session level: unless it is disarmed after the unlock, dropping it
/// (an error, or the future dropped half-way) closes the connection instead of returning it to the pool, which
/// releases the lock; a pooled connection holding it would stop every appender.
struct LockedConnection(sqlx::pool::PoolConnection<sqlx::Postgres>, bool);

impl Drop for LockedConnection {
    fn drop(&mut self) {
        if self.1 {
            self.0.close_on_drop();
        }
    }
}

/// A batch decided under the lock: the head after it, whether it wrote anything, and one answer per request.
#[derive(Debug)]
pub(super) struct Decided {
    pub head: (i64, Vec<u8>),
    pub wrote: bool,
    pub results: Vec<Result<Appended, AppendError>>,
}
