//! `GET /api/v1/events/stream`: new audit rows as Server-Sent Events, for the UI's live updates. Every event is
//! sent as the audit view shows it; the stream starts at the current head, or after `Last-Event-ID` when a
//! browser reconnects, or after `?after=N` (the newest position a page already shows), so neither a dropped
//! connection nor the moment between rendering a page and opening its stream loses an event. A resume point
//! more than [`MAX_REPLAY`] events back starts that far back instead.
//!
//! With `?job=<id>` the stream also carries that job's new output lines as `event: job_log` messages (the job
//! page's live log): the job log is a table, not the event log, so it is polled every [`LOG_POLL`] from the last
//! line sent, starting after `?log_after=N`. Those messages carry no `id`, so a reconnecting browser's
//! `Last-Event-ID` stays an event position.

use std::{collections::VecDeque, convert::Infallible, time::Duration};

use axum::{
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, header},
    response::sse::{Event, KeepAlive, Sse},
};
use chrono::SecondsFormat;
use futures::{Stream, StreamExt as _, stream};
use lawha_store::{EventFilter, Subscription};
use serde_json::json;

use uuid::Uuid;

use super::input::QueryError;
use crate::{
    audit::projection::summary,
    http::error::ApiError,
    jobs::read::{self, LogLine},
    state::AppState,
    ui::{Lang, kit::say, request::LANG_KEY},
};
use tower_sessions::Session;

/// How often a subscriber polls when no wake-up arrives.
const POLL: Duration = Duration::from_secs(1);
/// The most events a resumed stream replays.
pub const MAX_REPLAY: i64 = 1000;

/// How often a job's log is read while a stream follows it.
pub const LOG_POLL: Duration = Duration::from_millis(250);

/// `?after=N`: resume after this position (the page's newest row); `?job=<id>&log_after=N`: follow that job's
/// log after line N.
#[derive(Debug, serde::Deserialize)]
pub struct StreamQuery {
    /// The position already seen.
    pub after: Option<i64>,
    /// A job whose log lines to send too.
    pub job: Option<Uuid>,
    /// The job log line already seen (default 0: every line).
    pub log_after: Option<i64>,
}

/// `GET /api/v1/events/stream`.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "audit", security(("bearer" = [])),
    params(
        ("after" = Option<i64>, Query, description = "Resume after this position (at most 1000 events back); `Last-Event-ID` wins"),
        ("job" = Option<String>, Query, description = "Also send this job's new log lines, as `event: job_log` messages"),
        ("log_after" = Option<i64>, Query, description = "With `job`: start after this log line id (default 0)"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events; `data` is an audit row, `id` its position; with `job`, `job_log` events whose `data` is a log line `{id, attempt, at, line, line_code, line_args, text}` (`text`: the line in the reader's language, from the session's choice or `Accept-Language`)", content_type = "text/event-stream", body = String),
        (status = 400, description = "A parameter is invalid", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the viewer level", body = crate::http::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) =
        query.map_err(|r| ApiError::from(QueryError(super::messages::stream_query_invalid(r.body_text()))))?;
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
    let choice = session.get::<String>(LANG_KEY).await?;
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(choice.as_deref(), accept);
    let events = match query.job {
        Some(job) => stream::select(events, job_log(state, job, query.log_after.unwrap_or(0), lang)).boxed(),
        None => events.boxed(),
    };
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// The job's log lines after `after`, as `job_log` events, read every [`LOG_POLL`] while the client listens.
fn job_log(state: AppState, job: Uuid, after: i64, lang: Lang) -> impl Stream<Item = Result<Event, Infallible>> {
    let pending: VecDeque<LogLine> = VecDeque::new();
    stream::unfold((state, after, pending), move |(state, mut after, mut pending)| async move {
        loop {
            if let Some(line) = pending.pop_front() {
                let mut data = serde_json::to_value(&line).unwrap_or_default();
                data["text"] = json!(say(lang, &line.message));
                let data = data.to_string();
                return Some((Ok(Event::default().event("job_log").data(data)), (state, after, pending)));
            }
            match read::log_after(&state.db.read_models, job, after, 200).await {
                Ok(lines) if !lines.is_empty() => {
                    after = lines.last().map_or(after, |l| l.id);
                    pending.extend(lines);
                }
                Ok(_) => tokio::time::sleep(LOG_POLL).await,
                Err(error) => {
                    tracing::warn!(%error, "event stream could not read the job log; retrying");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    })
}
