//! Reads of the `audit_log` read model: the rows of the audit view and of the exports, through one filter type
//! and one SQL builder (`sql.rs`). Paging is by position, newest first: new events only ever get higher
//! positions, so a page boundary never moves while events arrive.

use chrono::{DateTime, SecondsFormat};
use serde::Serialize;
use sqlx::{AnyPool, Row as _, any::AnyRow};

use super::{
    input::AuditQuery,
    sql::{Bind, Page, Select},
};
use crate::{http::error::ApiError, state::AppState};

/// One row of the audit view, and of the exports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditItem {
    /// The event's global position: its id in the log and the paging cursor.
    pub position: i64,
    /// Commit time, RFC 3339 in UTC with microseconds.
    pub recorded_at: String,
    /// Who acted, when known.
    pub actor: Option<String>,
    /// The client address of the request that caused the event.
    pub ip: Option<String>,
    /// The past-tense event type.
    pub event_type: String,
    /// The stream the event belongs to.
    pub stream: String,
    /// What the action was about: the stream id, which the view links to.
    pub target: String,
    /// A readable one-line summary.
    pub summary: String,
    /// The request that appended the event, to join with the server log.
    pub request_id: Option<String>,
}

/// A page of the audit view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditItem>,
    /// The `before` of the next page, or null when this page is the last.
    pub next_before: Option<i64>,
}

/// One page of the filtered audit log, newest first; the JSON list and the audit page both use it.
pub async fn page(state: &AppState, query: &AuditQuery) -> Result<AuditPage, ApiError> {
    // One row more than asked tells whether another page exists without a COUNT.
    let select = query.filter.select(Page::NewestBefore(query.before), query.limit + 1);
    let mut items = fetch(&state.db.read_models, select).await.map_err(|e| ApiError::internal(&e))?;
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next_before = if more { items.last().map(|i| i.position) } else { None };
    Ok(AuditPage { items, next_before })
}

/// Runs a built SELECT and decodes its rows.
pub(super) async fn fetch(pool: &AnyPool, select: Select) -> Result<Vec<AuditItem>, sqlx::Error> {
    // The text comes from `sql.rs` alone: fixed fragments and placeholder numbers; every value is a bind.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(select.sql));
    for bind in select.binds {
        query = match bind {
            Bind::Int(value) => query.bind(value),
            Bind::Text(value) => query.bind(value),
        };
    }
    query.fetch_all(pool).await?.iter().map(AuditItem::from_row).collect()
}

impl AuditItem {
    /// Decodes a row of `sql::COLUMNS`.
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let micros: i64 = row.try_get(1)?;
        let recorded_at = DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| sqlx::Error::Decode(format!("recorded_at {micros} is out of range").into()))?
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let stream: String = row.try_get(5)?;
        Ok(Self {
            position: row.try_get(0)?,
            recorded_at,
            actor: row.try_get(2)?,
            ip: row.try_get(3)?,
            event_type: row.try_get(4)?,
            target: stream.clone(),
            stream,
            summary: row.try_get(6)?,
            request_id: row.try_get(7)?,
        })
    }
}

/// The events of one stream, newest first, at most `limit`: a capability's page lists an object's history.
pub(crate) async fn of_stream(pool: &AnyPool, stream: &str, limit: i64) -> Result<Vec<AuditItem>, sqlx::Error> {
    let sql =
        format!("SELECT {} FROM audit_log WHERE stream_id = $1 ORDER BY position DESC LIMIT $2", super::sql::COLUMNS);
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(stream.to_owned()).bind(limit).fetch_all(pool).await?;
    rows.iter().map(AuditItem::from_row).collect()
}
