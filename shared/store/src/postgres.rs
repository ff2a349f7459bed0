//! The PostgreSQL backend: appends serialized by a transaction-scoped advisory lock (invariant 5), rows
//! written with one multi-row statement per batch, `pg_notify` as a wake-up hint for other processes.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use sqlx::{PgPool, Row as _, postgres::PgListener};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    AppendError, Appended, ChainKey, EventFilter, EventStore, StoreError,
    appender::Appender,
    batch::{self, AppendRequest, Loaded, Plan, StoredRef},
    rows::{RawEvent, decode_all},
};

/// Opens an append transaction and takes the advisory lock that serializes appends across every process sharing
/// the database (invariant 5); the key is "lawha" in ASCII (0x6c61776861).
const BEGIN_AND_LOCK: &str = "BEGIN; SELECT pg_advisory_xact_lock(465491683425)";
/// The channel `pg_notify` wakes subscribers on.
pub(crate) const CHANNEL: &str = "lawha_events";

const SELECT_ROW: &str = "SELECT position, event_id, stream_id, stream_version, type, schema_version, \
     data::text AS data, metadata::text AS metadata, recorded_at, chain FROM events";

/// Events in PostgreSQL.
#[derive(Debug)]
pub(crate) struct PgStore {
    pool: PgPool,
    appender: Appender,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    pub(crate) fn new(pool: PgPool, key: ChainKey) -> Self {
        let batch_pool = pool.clone();
        let appender = Appender::start(2, move |batch| {
            let (pool, key) = (batch_pool.clone(), key.clone());
            async move {
                let outcome = write_batch(&pool, &key, &batch).await;
                (batch, outcome)
            }
        });
        let listener = tokio::spawn(listen(pool.clone(), appender.wake_sender()));
        Self { pool, appender, listener }
    }
}

/// Relays `pg_notify` from other processes into the local wake-up channel; reconnects on its own, and polling
/// covers the gaps while it does.
async fn listen(pool: PgPool, wake: Arc<watch::Sender<i64>>) {
    loop {
        let result: Result<(), sqlx::Error> = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            loop {
                let note = listener.recv().await?;
                if let Ok(head) = note.payload().parse::<i64>() {
                    crate::appender::notify(&wake, head);
                }
            }
        }
        .await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "event notification listener lost its connection; retrying");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn write_batch(pool: &PgPool, key: &ChainKey, batch: &[AppendRequest]) -> Result<Plan, StoreError> {
    // BEGIN and the lock travel in one round trip; a second appender task waits here while the first commits.
    let mut tx = pool.begin_with(BEGIN_AND_LOCK).await?;
    let streams: Vec<&str> = batch.iter().map(|r| r.stream.as_str()).collect();
    let ids: Vec<Uuid> = batch.iter().flat_map(|r| r.events.iter().map(|e| e.event_id)).collect();
    // Taken after the lock, so this statement's snapshot includes every append committed before ours.
    let lookups = sqlx::query(
        "SELECT 'h' AS kind, NULL::text AS stream_id, NULL::bigint AS version, NULL::uuid AS event_id, \
                position, chain FROM chain_head WHERE id = 1 \
         UNION ALL SELECT 's', stream_id, version, NULL, NULL, NULL FROM streams WHERE stream_id = ANY($1) \
         UNION ALL SELECT 'e', stream_id, stream_version, event_id, position, NULL FROM events \
                   WHERE event_id = ANY($2)",
    )
    .bind(&streams)
    .bind(&ids)
    .fetch_all(&mut *tx)
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
    let plan = batch::plan(key, loaded, batch, Utc::now());
    if let Some((head_position, head_chain)) = &plan.head {
        insert(&mut tx, &plan, *head_position, head_chain).await?;
    }
    tx.commit().await?;
    Ok(plan)
}

async fn insert(
    tx: &mut sqlx::PgConnection,
    plan: &Plan,
    head_position: i64,
    head_chain: &[u8],
) -> Result<(), sqlx::Error> {
    let rows = &plan.rows;
    let col = |f: fn(&batch::Row) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let now: DateTime<Utc> = rows.first().map_or_else(Utc::now, |r| r.recorded_at);
    sqlx::query(
        "WITH new_events AS (
            INSERT INTO events (position, event_id, stream_id, category, stream_version, type, schema_version,
                                data, metadata, recorded_at, chain)
            SELECT p, i, s, c, v, t, sv, d::jsonb, m::jsonb, $10, ch
            FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[],
                        $8::text[], $9::text[], $11::bytea[]) AS u(p, i, s, c, v, t, sv, d, m, ch)
            RETURNING 1
        ), upserted_streams AS (
            INSERT INTO streams (stream_id, category, version, created_at, updated_at)
            SELECT s, c, v, $10, $10 FROM unnest($12::text[], $13::text[], $14::bigint[]) AS u(s, c, v)
            ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
            RETURNING 1
        ), head AS (
            INSERT INTO chain_head (id, position, chain) VALUES (1, $15, $16)
            ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, chain = EXCLUDED.chain
            RETURNING 1
        )
        SELECT pg_notify('lawha_events', $15::text)",
    )
    .bind(rows.iter().map(|r| r.position).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
    .bind(col(|r| r.stream.clone()))
    .bind(col(|r| r.category.clone()))
    .bind(rows.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind(col(|r| r.event_type.clone()))
    .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
    .bind(col(|r| r.data.clone()))
    .bind(col(|r| r.metadata.clone()))
    .bind(now)
    .bind(rows.iter().map(|r| r.chain.clone()).collect::<Vec<_>>())
    .bind(plan.streams.iter().map(|s| s.0.clone()).collect::<Vec<_>>())
    .bind(plan.streams.iter().map(|s| s.1.clone()).collect::<Vec<_>>())
    .bind(plan.streams.iter().map(|s| s.2).collect::<Vec<_>>())
    .bind(head_position)
    .bind(head_chain)
    .execute(tx)
    .await?;
    Ok(())
}

fn raw(row: &sqlx::postgres::PgRow) -> RawEvent {
    RawEvent {
        position: row.get("position"),
        event_id: row.get("event_id"),
        stream: row.get("stream_id"),
        version: row.get("stream_version"),
        event_type: row.get("type"),
        schema_version: row.get("schema_version"),
        data: row.get("data"),
        metadata: row.get("metadata"),
        recorded_at_micros: row.get::<DateTime<Utc>, _>("recorded_at").timestamp_micros(),
        chain: row.get("chain"),
    }
}

fn optional(list: &[String]) -> Option<&[String]> {
    (!list.is_empty()).then_some(list)
}

#[async_trait]
impl EventStore for PgStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        self.appender.append(stream, expected, events).await
    }

    async fn read_stream(&self, stream: &StreamId, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!("{SELECT_ROW} WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version LIMIT $3");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(stream.as_str())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        decode_all(rows.iter().map(raw).collect())
    }

    async fn read_all(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "{SELECT_ROW} WHERE position > $1 AND ($2::text[] IS NULL OR category = ANY($2)) \
             AND ($3::text[] IS NULL OR type = ANY($3)) ORDER BY position LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(optional(&filter.categories))
            .bind(optional(&filter.types))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        decode_all(rows.iter().map(raw).collect())
    }

    async fn read_raw(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let sql = format!("{SELECT_ROW} WHERE position > $1 ORDER BY position LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(raw).collect())
    }

    async fn chain_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT position, chain FROM chain_head WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(row.map(|r| (r.get("position"), r.get("chain"))))
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<i64, StoreError> {
        let version = sqlx::query_scalar("SELECT version FROM streams WHERE stream_id = $1")
            .bind(stream.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(version.unwrap_or(0))
    }

    async fn head(&self) -> Result<i64, StoreError> {
        let head = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events").fetch_one(&self.pool).await?;
        Ok(head)
    }

    fn wakeups(&self) -> watch::Receiver<i64> {
        self.appender.wakeups()
    }
}
