//! Audit log review: the filtered, paged list the audit view shows (`GET /api/v1/audit`), one raw event on
//! demand (`GET /api/v1/audit/{position}`) and streamed CSV / JSON Lines exports (`GET /api/v1/audit/export`).
//!
//! The list and the export read the `audit_log` read model through one filter type and one SQL builder; the
//! raw event comes from the log itself, the only source of truth. Paging is by position, newest first: new
//! events only ever get higher positions, so a page boundary never moves while events arrive.

pub mod cache;
mod export;
mod query;
mod sql;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, RawQuery, State, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use chrono::{DateTime, SecondsFormat};
use lawha_store::EventFilter;
pub use query::{AuditFilter, AuditQuery, ExportFormat, ExportQuery, QueryError, StreamSelector, rejected};
use serde::Serialize;
use serde_json::Value;
use sql::{Bind, Page, Select};
use sqlx::{AnyPool, Row as _, any::AnyRow};

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

/// `GET /api/v1/audit`: one page of the filtered audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(
        ("actor" = Option<String>, Query, description = "Exact actor, e.g. `user:amira`"),
        ("event_type" = Option<String>, Query, description = "Event types: repeat the key or separate with commas"),
        ("stream" = Option<String>, Query, description = "An exact stream id, or a category such as `backup_run`"),
        ("since" = Option<String>, Query, description = "RFC 3339 time, inclusive"),
        ("until" = Option<String>, Query, description = "RFC 3339 time, exclusive"),
        ("q" = Option<String>, Query, description = "Free text, case-insensitive, over summary, actor, type and stream"),
        ("limit" = Option<i64>, Query, description = "1 to 500, default 50"),
        ("before" = Option<i64>, Query, description = "Only positions below this: the `next_before` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page, newest first", body = AuditPage),
        (status = 400, description = "A parameter is invalid; the message names it", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "The token's level is below viewer", body = crate::http::error::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|r| query::rejected(&r))?;
    let key = raw.unwrap_or_default();
    let body = match state.audit_pages.get(&key) {
        Some(body) => body,
        None => {
            let generation = crate::projections::audit_log::generation();
            let body =
                Bytes::from(serde_json::to_vec(&page(&state, &query).await?).map_err(|e| ApiError::internal(&e))?);
            state.audit_pages.put(key, generation, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
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

/// `GET /api/v1/audit/{position}`: the stored event at `position`, as recorded.
#[utoipa::path(get, path = "/api/v1/audit/{position}", tag = "audit", security(("bearer" = [])),
    params(("position" = i64, Path, description = "The event's global position")),
    responses(
        (status = 200, description = "The raw event: envelope, data, metadata and chain value", body = Object),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "The token's level is below viewer", body = crate::http::error::ErrorBody),
        (status = 404, description = "No event at that position", body = crate::http::error::ErrorBody),
    ))]
pub async fn event(State(state): State<AppState>, Path(position): Path<i64>) -> Result<Json<Value>, ApiError> {
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no event at position {position}"));
    if position < 1 {
        return Err(missing());
    }
    let events = state.db.events.read_all(position - 1, 1, &EventFilter::all()).await?;
    let event = events.into_iter().find(|e| e.position == position).ok_or_else(missing)?;
    Ok(Json(serde_json::to_value(&event).map_err(|e| ApiError::internal(&e))?))
}

/// `GET /api/v1/audit/export?format=csv|jsonl`: every filtered row, oldest first, streamed in pages so memory
/// stays flat whatever the size. It stops at the newest row that existed when it started.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])),
    params(
        ("format" = String, Query, description = "`csv` or `jsonl`"),
        ("actor" = Option<String>, Query, description = "Exact actor, e.g. `user:amira`"),
        ("event_type" = Option<String>, Query, description = "Event types: repeat the key or separate with commas"),
        ("stream" = Option<String>, Query, description = "An exact stream id, or a category such as `backup_run`"),
        ("since" = Option<String>, Query, description = "RFC 3339 time, inclusive"),
        ("until" = Option<String>, Query, description = "RFC 3339 time, exclusive"),
        ("q" = Option<String>, Query, description = "Free text, case-insensitive, over summary, actor, type and stream"),
    ),
    responses(
        (status = 200, description = "The filtered rows, oldest first, streamed", content(
            (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "A parameter is invalid; the message names it", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "The token's level is below viewer", body = crate::http::error::ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|r| query::rejected(&r))?;
    let upto: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM audit_log")
        .fetch_one(&state.db.read_models)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(export::response(state.db.read_models.clone(), query, upto))
}

/// Runs a built SELECT and decodes its rows.
async fn fetch(pool: &AnyPool, select: Select) -> Result<Vec<AuditItem>, sqlx::Error> {
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
