//! The audit log's JSON API: the filtered, paged list the audit view shows (`GET /api/v1/audit`), one raw event
//! on demand (`GET /api/v1/audit/{position}`) and streamed CSV / JSON Lines exports (`GET /api/v1/audit/export`).
//! The list and the export read the `audit_log` read model (`read.rs`); the raw event comes from the log itself,
//! the only source of truth.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderValue, header},
    response::{IntoResponse as _, Response},
};
use lawha_store::EventFilter;
use serde_json::Value;

use super::input::AuditError;
use super::{
    export,
    input::{AuditQuery, ExportQuery},
    read::{AuditPage, page},
};
use crate::{
    http::{error::ApiError, input::ApiQuery},
    state::AppState,
};

/// `GET /api/v1/audit`: one page of the filtered audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(
        ("actor" = Option<String>, Query, min_length = 1, max_length = 200, description = "Exact actor, e.g. `user:amira`"),
        ("event_type" = Option<String>, Query, min_length = 1, max_length = 1000, pattern = "^[ ,]*[A-Za-z0-9]{1,100}( *,[ ,]*[A-Za-z0-9]{1,100})*[ ,]*$",
            description = "Event types: repeat the key or separate with commas"),
        ("stream" = Option<String>, Query, min_length = 1, max_length = 200, pattern = "^[a-z_]+(-[!-~]+)?$",
            description = "An exact stream id (`backup_run-…`), or a category such as `backup_run`"),
        ("since" = Option<String>, Query, format = DateTime, description = "RFC 3339 time, inclusive"),
        ("until" = Option<String>, Query, format = DateTime, description = "RFC 3339 time, exclusive; not before `since`"),
        ("q" = Option<String>, Query, min_length = 1, max_length = 200,
            description = "Free text, case-insensitive, over summary, actor, type and stream"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Rows per page, default 50"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only positions below this: the `next_before` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page, newest first", body = AuditPage),
        (status = 400, description = "A parameter is unknown, given twice or invalid; the message names it (`invalid_query`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    ApiQuery(pairs): ApiQuery,
) -> Result<Response, ApiError> {
    let query = AuditQuery::try_from(pairs)?;
    let key = raw.unwrap_or_default();
    let body = match state.audit_pages.get(&key) {
        Some(body) => body,
        None => {
            let generation = super::projection::generation();
            let body =
                Bytes::from(serde_json::to_vec(&page(&state, &query).await?).map_err(|e| ApiError::internal(&e))?);
            state.audit_pages.put(key, generation, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

/// `GET /api/v1/audit/{position}`: the stored event at `position`, as recorded.
#[utoipa::path(get, path = "/api/v1/audit/{position}", tag = "audit", security(("bearer" = [])),
    params(("position" = i64, Path, minimum = 1, description = "The event's global position")),
    responses(
        (status = 200, description = "The raw event: envelope, data, metadata and chain value; sealed values of events recorded before secrets moved out of the log read `***`", body = Object),
        (status = 404, description = "No event at that position", body = crate::http::error::ErrorBody),
    ))]
pub async fn event(State(state): State<AppState>, Path(position): Path<String>) -> Result<Json<Value>, ApiError> {
    // Anything that is not a position names no event: 404, as for any id that names nothing.
    let Some(position) = position.parse::<i64>().ok().filter(|p| *p >= 1) else {
        return Err(AuditError::NotAPosition(position).into());
    };
    let missing = || ApiError::from(AuditError::NoEvent(position));
    let events = state.db.events.read_all(position - 1, 1, &EventFilter::all()).await?;
    let event = events.into_iter().find(|e| e.position == position).ok_or_else(missing)?;
    let mut value = serde_json::to_value(&event).map_err(|e| ApiError::internal(&e))?;
    redact_sealed(&mut value);
    Ok(Json(value))
}

/// The formats of the export, for the OpenAPI document.
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ExportFormatName {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Replaces every sealed value in an event (fields named `…_sealed`, which events recorded before secrets moved
/// to the secrets table still hold) with `***`: nobody reading the log needs them, and with the secret key they
/// would open. Events recorded since hold references (`secret:<id>`), which open nothing.
fn redact_sealed(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key.ends_with("_sealed") && field.is_string() {
                    *field = Value::from("***");
                } else {
                    redact_sealed(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_sealed),
        _ => {}
    }
}

/// `GET /api/v1/audit/export?format=csv|jsonl`: every filtered row, oldest first, streamed in pages so memory
/// stays flat whatever the size. It stops at the newest row that existed when it started.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])),
    params(
        ("format" = ExportFormatName, Query, description = "`csv` or `jsonl`"),
        ("actor" = Option<String>, Query, min_length = 1, max_length = 200, description = "Exact actor, e.g. `user:amira`"),
        ("event_type" = Option<String>, Query, min_length = 1, max_length = 1000, pattern = "^[ ,]*[A-Za-z0-9]{1,100}( *,[ ,]*[A-Za-z0-9]{1,100})*[ ,]*$",
            description = "Event types: repeat the key or separate with commas"),
        ("stream" = Option<String>, Query, min_length = 1, max_length = 200, pattern = "^[a-z_]+(-[!-~]+)?$",
            description = "An exact stream id (`backup_run-…`), or a category such as `backup_run`"),
        ("since" = Option<String>, Query, format = DateTime, description = "RFC 3339 time, inclusive"),
        ("until" = Option<String>, Query, format = DateTime, description = "RFC 3339 time, exclusive; not before `since`"),
        ("q" = Option<String>, Query, min_length = 1, max_length = 200,
            description = "Free text, case-insensitive, over summary, actor, type and stream"),
    ),
    responses(
        (status = 200, description = "The filtered rows, oldest first, streamed", content(
            (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 400, description = "A parameter is unknown, given twice or invalid; the message names it (`invalid_query`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn export(State(state): State<AppState>, ApiQuery(pairs): ApiQuery) -> Result<Response, ApiError> {
    let query = ExportQuery::try_from(pairs)?;
    let upto: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM audit_log").fetch_one(&state.db.read_models).await?;
    Ok(export::response(state.db.read_models.clone(), query, upto))
}
