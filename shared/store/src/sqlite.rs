//! The SQLite backend, the embedded default: appends run inside `BEGIN IMMEDIATE` on SQLite's single writer, so
//! positions are commit-ordered (invariant 5); an in-process watch channel wakes subscribers.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use sqlx::{Row as _, SqlitePool, sqlite::SqliteRow};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    AppendError, Appended, ChainKey, EventFilter, EventStore, StoreError,
    appender::Appender,
    batch::{self, AppendRequest, Loaded, Plan, StoredRef},
    rows::{RawEvent, decode_all},
};

const SELECT_ROW: &str = "SELECT position, event_id, stream_id, stream_version, type, schema_version, \
     data, metadata, recorded_at, chain FROM events";

/// Events in a SQLite file.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
    appender: Appender,
}

impl SqliteStore {
    pub(crate) fn new(pool: SqlitePool, key: ChainKey) -> Self {
        let batch_pool = pool.clone();
        let appender = Appender::start(move |batch| {
            let (pool, key) = (batch_pool.clone(), key.clone());
            async move {
                let outcome = write_batch(&pool, &key, &batch).await;
                (batch, outcome)
            }
        });
        Self { pool, appender }
    }
}

fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

async fn write_batch(pool: &SqlitePool, key: &ChainKey, batch: &[AppendRequest]) -> Result<Plan, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head = sqlx::query("SELECT position, chain FROM chain_head WHERE id = 1").fetch_optional(&mut *tx).await?;
    let streams: Vec<&str> = batch.iter().map(|r| r.stream.as_str()).collect();
    let ids: Vec<String> = batch.iter().flat_map(|r| r.events.iter().map(|e| e.event_id.to_string())).collect();
    let mut loaded = Loaded {
        head_position: head.as_ref().map_or(0, |r| r.get("position")),
        head_chain: head.map_or_else(|| crate::chain::GENESIS.to_vec(), |r| r.get("chain")),
        versions: HashMap::new(),
        existing: HashMap::new(),
    };
    let versions =
        sqlx::query("SELECT stream_id, version FROM streams WHERE stream_id IN (SELECT value FROM json_each($1))")
            .bind(json_list(&streams))
            .fetch_all(&mut *tx)
            .await?;
    for row in versions {
        loaded.versions.insert(row.get("stream_id"), row.get("version"));
    }
    let existing = sqlx::query(
        "SELECT event_id, position, stream_version FROM events WHERE event_id IN (SELECT value FROM json_each($1))",
    )
    .bind(json_list(&ids))
    .fetch_all(&mut *tx)
    .await?;
    for row in existing {
        let id: String = row.get("event_id");
        if let Ok(id) = Uuid::parse_str(&id) {
            loaded.existing.insert(id, StoredRef { position: row.get("position"), version: row.get("stream_version") });
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
    tx: &mut sqlx::SqliteConnection,
    plan: &Plan,
    head_position: i64,
    head_chain: &[u8],
) -> Result<(), sqlx::Error> {
    for r in &plan.rows {
        sqlx::query(
            "INSERT INTO events (position, event_id, stream_id, category, stream_version, type, schema_version, \
             data, metadata, recorded_at, chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.position)
        .bind(r.event_id.to_string())
        .bind(&r.stream)
        .bind(&r.category)
        .bind(r.version)
        .bind(&r.event_type)
        .bind(r.schema_version)
        .bind(&r.data)
        .bind(&r.metadata)
        .bind(r.recorded_at.timestamp_micros())
        .bind(&r.chain)
        .execute(&mut *tx)
        .await?;
    }
    let now = plan.rows.first().map_or(0, |r| r.recorded_at.timestamp_micros());
    for (stream, category, version) in &plan.streams {
        sqlx::query(
            "INSERT INTO streams (stream_id, category, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(stream)
        .bind(category)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO chain_head (id, position, chain) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, chain = excluded.chain",
    )
    .bind(head_position)
    .bind(head_chain)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn raw(row: &SqliteRow) -> Result<RawEvent, StoreError> {
    let position: i64 = row.get("position");
    let id: String = row.get("event_id");
    let event_id =
        Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt { position, reason: format!("event id {id:?}: {e}") })?;
    Ok(RawEvent {
        position,
        event_id,
        stream: row.get("stream_id"),
        version: row.get("stream_version"),
        event_type: row.get("type"),
        schema_version: row.get("schema_version"),
        data: row.get("data"),
        metadata: row.get("metadata"),
        recorded_at_micros: row.get("recorded_at"),
        chain: row.get("chain"),
    })
}

fn raws(rows: &[SqliteRow]) -> Result<Vec<RawEvent>, StoreError> {
    rows.iter().map(raw).collect()
}

fn optional(list: &[String]) -> Option<String> {
    (!list.is_empty()).then(|| json_list(list))
}

#[async_trait]
impl EventStore for SqliteStore {
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
        decode_all(raws(&rows)?)
    }

    async fn read_all(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "{SELECT_ROW} WHERE position > $1 \
             AND ($2 IS NULL OR category IN (SELECT value FROM json_each($2))) \
             AND ($3 IS NULL OR type IN (SELECT value FROM json_each($3))) ORDER BY position LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(optional(&filter.categories))
            .bind(optional(&filter.types))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        decode_all(raws(&rows)?)
    }

    async fn read_raw(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let sql = format!("{SELECT_ROW} WHERE position > $1 ORDER BY position LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).bind(limit).fetch_all(&self.pool).await?;
        raws(&rows)
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
