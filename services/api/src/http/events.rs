//! `GET /api/v1/events/stream`: new audit rows as Server-Sent Events, for the UI's live updates. Every event is
//! sent as the audit view shows it; the stream starts at the current head, or after `Last-Event-ID` when a
//! browser reconnects, so a dropped connection misses nothing.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
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

/// `GET /api/v1/events/stream`.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "Server-Sent Events; `data` is an audit row, `id` its position", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid token or session", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the viewer level", body = crate::http::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let after = match resume {
        Some(position) => position.max(0),
        None => state.db.events.head().await?,
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
