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

/// Opens an append transaction and takes the advisory lock that serializes appends across every process sharing
/// the database (invariant 5); the key is "lawha" in ASCII (0x6c61776861), the same one `lawha_append` takes.
const BEGIN_AND_LOCK: &str = "BEGIN; SELECT pg_advisory_xact_lock(465491683425)";

/// The head, the versions of the batch's streams and the batch's ids already stored, read in one statement, so
/// all of it comes from one snapshot: a consistent state of the log at the head it reports.
pub(super) async fn load<'c>(conn: impl sqlx::PgExecutor<'c>, batch: &[AppendRequest]) -> Result<Loaded, sqlx::Error> {
    let streams: Vec<&str> = batch.iter().map(|r| r.stream.as_str()).collect();
    let ids: Vec<Uuid> = batch.iter().flat_map(|r| r.events.iter().map(|e| e.event_id)).collect();
    let lookups = sqlx::query(
        "SELECT 'h' AS kind, NULL::text AS stream_id, NULL::bigint AS version, NULL::uuid AS event_id, \
                position, chain FROM chain_head WHERE id = 1 \
         UNION ALL SELECT 's', stream_id, version, NULL, NULL, NULL FROM streams WHERE stream_id = ANY($1) \
         UNION ALL SELECT 'e', stream_id, stream_version, event_id, position, NULL FROM events \
                   WHERE event_id = ANY($2)",
    )
    .bind(&streams)
    .bind(&ids)
    .fetch_all(conn)
    .await?;
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

/// Calls `lawha_append` with a decided batch.
pub(super) async fn write<'c>(conn: impl sqlx::PgExecutor<'c>, w: &Write) -> Result<Outcome, sqlx::Error> {
    let rows = &w.rows;
    let text = |f: fn(&batch::Row) -> &String| rows.iter().map(|r| f(r).as_str()).collect::<Vec<_>>();
    let now: DateTime<Utc> = rows.first().map_or_else(Utc::now, |r| r.recorded_at);
    let answer: i16 = sqlx::query_scalar(
        "SELECT lawha_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
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
    .fetch_one(conn)
    .await?;
    Ok(match answer {
        0 => Outcome::Written,
        1 => Outcome::Early,
        2 => Outcome::Moved,
        _ => Outcome::Stale,
    })
}

/// The locked path: takes the append lock first, then reads and decides, so the head cannot move underneath and
/// the batch is always written. One round trip more inside the lock than the pipeline's, which is why it is the
/// fallback, not the rule.
pub(super) async fn write_locked(
    pool: &PgPool,
    key: &ChainKey,
    batch: &[AppendRequest],
) -> Result<Decided, StoreError> {
    let mut tx = pool.begin_with(BEGIN_AND_LOCK).await?;
    // Taken after the lock, so this statement's snapshot includes every append committed before ours.
    let loaded = load(&mut *tx, batch).await?;
    let from = (loaded.head_position, loaded.head_chain.clone());
    let Plan { rows, streams, head, results } = batch::plan(key, loaded, batch, Utc::now());
    let (start, mut last) = (from.0, from.clone());
    if let Some(to) = head {
        last.clone_from(&to);
        let w = Write { from, to, assumed: Vec::new(), rows, streams };
        if write(&mut *tx, &w).await? != Outcome::Written {
            // Impossible while we hold the lock; refusing beats writing a fork of the chain.
            let reason = "the head moved while the append lock was held".to_owned();
            return Err(StoreError::Corrupt { position: w.from.0, reason });
        }
    }
    tx.commit().await?;
    Ok(Decided { wrote: last.0 > start, head: last, results })
}

/// A batch decided under the lock: the head after it, whether it wrote anything, and one answer per request.
#[derive(Debug)]
pub(super) struct Decided {
    pub head: (i64, Vec<u8>),
    pub wrote: bool,
    pub results: Vec<Result<Appended, AppendError>>,
}
