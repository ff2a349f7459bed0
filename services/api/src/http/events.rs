//! `GET /api/v1/events/stream`: new audit rows as Server-Sent Events, for the UI's live updates. Every event is
//! sent as the audit view shows it; the stream starts at the current head, or after `Last-Event-ID` when a
//! browser reconnects, or after `?after=N` (the newest position a page already shows), so neither a dropped
//! connection nor the moment between rendering a page and opening its stream loses an event. A resume point
//! more than [`MAX_REPLAY`] events back starts that far back instead.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::sse::{Event, KeepAlive, Sse},
};
use chrono::SecondsFormat;
use futures::{Stream, stream};
use lawha_store::{EventFilter, Subscription};
use serde_json::json;

use super::error::ApiError;
use crate::{projections::audit_log::summary, state::AppState};

/// How often a subscriber polls when no wake-up arrives.
const POLL: Duration = Duration::from_secs(1);
/// The most events a resumed stream replays.
pub const MAX_REPLAY: i64 = 1000;

/// `?after=N`: resume after this position (the page's newest row).
#[derive(Debug, serde::Deserialize)]
pub struct StreamQuery {
    /// The position already seen.
    pub after: Option<i64>,
}

/// `GET /api/v1/events/stream`.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "audit", security(("bearer" = [])),
    params(("after" = Option<i64>, Query, description = "Resume after this position (at most 1000 events back); `Last-Event-ID` wins")),
    responses(
        (status = 200, description = "Server-Sent Events; `data` is an audit row, `id` its position", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid token or session", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the viewer level", body = crate::http::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|r| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("{}; use ?after=<position>", r.body_text()))
    })?;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let head = state.db.events.head().await?;
    let after = match resume.or(query.after) {
        Some(position) => position.clamp(head.saturating_sub(MAX_REPLAY).max(0), head),
        None => head,
    };
    let subscription = Subscription::new(state.db.events.clone(), after, EventFilter::all(), POLL);
    let events = stream::unfold(subscription, |mut subscription| async move {
        loop {
            match subscription.next().await {
                Ok(event) => {
                    let row = json!({
                        "position": event.position,
                        "recorded_at": event.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
                        "actor": event.metadata.actor,
                        "ip": event.metadata.ip,
                        "event_type": event.event_type,
                        "stream": event.stream.as_str(),
                        "summary": summary(&event),
                    });
                    let sse = Event::default().id(event.position.to_string()).data(row.to_string());
                    return Some((Ok(sse), subscription));
                }
                Err(error) => {
                    // The database is away: say so in the log once per attempt and keep the stream open.
                    tracing::warn!(%error, "event stream could not read the log; retrying");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
