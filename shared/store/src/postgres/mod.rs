//! The PostgreSQL backend: appends serialized by a transaction-scoped advisory lock (invariant 5), each batch
//! written by one `lawha_append` call (`append.rs`) that the pipeline (`pipeline.rs`) decides ahead of the lock,
//! `pg_notify` as a wake-up hint for other processes.

mod append;
mod pipeline;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use sqlx::{PgPool, Row as _, postgres::PgListener};

use crate::database::{ALL_READ_MODELS, READ_MODELS_CHANNEL, ReadModelChanges};
use tokio::sync::watch;

use crate::{
    AppendError, Appended, ChainKey, EventFilter, EventStore, StoreError,
    appender::Appender,
    rows::{RawEvent, decode_all},
};

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
    /// `pool` serves reads; `appends` is the appender's own, so a burst of reads never makes an append wait for a
    /// connection (every caller of a batch would wait with it).
    pub(crate) fn new(pool: PgPool, appends: PgPool, key: ChainKey, changes: ReadModelChanges) -> Self {
        let appender = Appender::spawn(move |rx, wake| pipeline::run(appends, key, rx, wake));
        let listener = tokio::spawn(listen(pool.clone(), appender.wake_sender(), changes));
        Self { pool, appender, listener }
    }
}

/// Relays `pg_notify` from other processes into the local wake-up channel and the read-model change announcer;
/// reconnects on its own, and polling covers the gaps while it does. After a reconnection every read model counts
/// as changed, since announcements may have been missed meanwhile.
async fn listen(pool: PgPool, wake: Arc<watch::Sender<i64>>, changes: ReadModelChanges) {
    loop {
        let result: Result<(), sqlx::Error> = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen_all([CHANNEL, READ_MODELS_CHANNEL]).await?;
            changes.announce(ALL_READ_MODELS);
            loop {
                let note = listener.recv().await?;
                if note.channel() == READ_MODELS_CHANNEL {
                    changes.announce(note.payload());
                } else if let Ok(head) = note.payload().parse::<i64>() {
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
