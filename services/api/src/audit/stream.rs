//! `GET /api/v1/events/stream`: new audit rows as Server-Sent Events, for the UI's live updates. Every event is
//! sent as the audit view shows it; the stream starts at the current head, or after `Last-Event-ID` when a
//! browser reconnects, or after `?after=N` (the newest position a page already shows), so neither a dropped
//! connection nor the moment between rendering a page and opening its stream loses an event. A resume point
//! more than [`MAX_REPLAY`] events back starts that far back instead.
//!
//! With `?job=<id>` the stream also carries that job's new output lines as `event: job_log` messages (the job
//! page's live log), from the job's one shared poller (`joblog.rs`), starting after `?log_after=N`. Those
//! messages carry no `id`, so a reconnecting browser's `Last-Event-ID` stays an event position.
//!
//! A stream is a task of its own feeding the response: it takes a place among the process's streams
//! (`limits.rs`: per principal and in all), checks its principal again while it lives (`principal.rs`) and ends
//! when the principal lost the power to read it, when the client goes, and at once when the process stops.

mod joblog;
mod limits;
mod principal;

use std::{convert::Infallible, time::Duration};

use axum::{
    Extension,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, header},
    response::{
        IntoResponse as _, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use chrono::SecondsFormat;
use futures::stream;
use lawha_domain::RecordedEvent;
use lawha_store::{EventFilter, Subscription};
use serde_json::json;
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tower_sessions::Session;
use uuid::Uuid;

pub use joblog::{JobLogs, LOG_POLL};
pub use limits::{StreamRefusal, Streams, Ticket};

use self::principal::{Credential, RECHECK, signs_out, still_allowed};
use super::input::QueryError;
use crate::{
    audit::projection::summary,
    http::{auth::Principal, error::ApiError},
    jobs::read::LogLine,
    state::AppState,
    ui::{Lang, kit::say, request::LANG_KEY},
};

/// How often a subscriber polls when no wake-up arrives.
const POLL: Duration = Duration::from_secs(1);
/// The most events a resumed stream replays.
pub const MAX_REPLAY: i64 = 1000;

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
        (status = 200, description = "Server-Sent Events; `data` is an audit row, `id` its position; with `job`, `job_log` events whose `data` is a log line `{id, attempt, at, line, line_code, line_args, text}` (`text`: the line in the reader's language, from the session's choice or `Accept-Language`). The stream ends when the token is revoked, the session signs out or the user loses the viewer level, and when the panel stops", content_type = "text/event-stream", body = String),
        (status = 400, description = "A parameter is invalid", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the viewer level", body = crate::http::error::ErrorBody),
        (status = 429, description = "The principal holds `http.max_streams_per_principal` streams already (`too_many_streams`)", body = crate::http::error::ErrorBody),
        (status = 503, description = "The panel holds `http.max_streams` streams already (`streams_exhausted`, with `Retry-After`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    session: Session,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|r| ApiError::from(QueryError(super::messages::stream_query_invalid(r.body_text()))))?;
    let credential = Credential::of(&principal, &headers, &session);
    let ticket = state.streams.admit(&principal.actor)?;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let head = state.db.events.head().await?;
    let after = match resume.or(query.after) {
        Some(position) => position.clamp(head.saturating_sub(MAX_REPLAY).max(0), head),
        None => head,
    };
    let choice = session.get::<String>(LANG_KEY).await?;
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(choice.as_deref(), accept);
    // A keep-alive comment well within the idle timeout, so a quiet stream is not taken for a dead connection.
    let keep_alive = Duration::from_secs((state.config.http.idle_timeout_secs / 3).clamp(1, 15));
    let (events, received) = mpsc::channel::<Event>(32);
    let live = Live {
        subscription: Subscription::new(state.db.events.clone(), after, EventFilter::all(), POLL),
        job: query.job.map(|job| (state.streams.job_logs.follow(&state.db.read_models, job), query.log_after)),
        state,
        credential,
        user: principal.user,
        lang,
        _ticket: ticket,
    };
    tokio::spawn(live.run(events));
    let body = stream::unfold(received, |mut received| async move {
        received.recv().await.map(|event| (Ok::<_, Infallible>(event), received))
    });
    Ok(Sse::new(body).keep_alive(KeepAlive::new().interval(keep_alive)).into_response())
}

/// One open stream.
struct Live {
    state: AppState,
    subscription: Subscription,
    job: Option<(joblog::Follower, Option<i64>)>,
    credential: Option<Credential>,
    user: String,
    lang: Lang,
    /// Its place among the streams, given back when the task ends.
    _ticket: Ticket,
}

impl Live {
    /// Sends events (and log lines) until the client goes, the principal loses its power or the process stops.
    async fn run(mut self, out: mpsc::Sender<Event>) {
        let stopping = self.state.streams.stopping().clone();
        let mut changes = self.state.db.read_model_changes().subscribe();
        let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
        // A sign-out appends its event just before it deletes the session: look again a moment later.
        let mut again: Option<tokio::time::Instant> = None;
        let (mut follower, mut log_after) = match self.job.take() {
            Some((follower, after)) => (Some(follower), after.unwrap_or(0)),
            None => (None, 0),
        };
        loop {
            let check = tokio::select! {
                () = stopping.cancelled() => return,
                () = out.closed() => return,
                event = self.subscription.next() => match event {
                    Ok(event) => {
                        let check = signs_out(&event, &self.user);
                        if out.send(row(&event)).await.is_err() {
                            return;
                        }
                        if check {
                            again = Some(tokio::time::Instant::now() + Duration::from_secs(1));
                        }
                        check
                    }
                    Err(error) => {
                        // The database is away: say so in the log once per attempt and keep the stream open.
                        tracing::warn!(%error, "event stream could not read the log; retrying");
                        tokio::time::sleep(POLL).await;
                        false
                    }
                },
                lines = next_lines(follower.as_mut(), &mut log_after) => match lines {
                    Ok(lines) => {
                        for line in &lines {
                            if out.send(log_event(line, self.lang)).await.is_err() {
                                return;
                            }
                        }
                        false
                    }
                    Err(error) => {
                        tracing::warn!(%error, "event stream could not read the job log; retrying");
                        tokio::time::sleep(POLL).await;
                        false
                    }
                },
                _ = recheck.tick() => true,
                () = sleep_until(again) => {
                    again = None;
                    true
                }
                changed = changes.recv() => match changed {
                    Ok(name) => name == "users" || name == lawha_store::ALL_READ_MODELS,
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => false,
                },
            };
            if check && !self.allowed().await {
                tracing::info!(user = %self.user, "an event stream ended: its principal lost the power to read it");
                return;
            }
        }
    }

    /// Whether the principal may still read the stream (yes while the database cannot say).
    async fn allowed(&self) -> bool {
        let Some(credential) = &self.credential else { return false };
        match still_allowed(&self.state, credential, &self.user).await {
            Ok(allowed) => allowed,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "event stream could not check its principal");
                true
            }
        }
    }
}

/// The followed job's next lines; never, without a job.
async fn next_lines(follower: Option<&mut joblog::Follower>, after: &mut i64) -> Result<Vec<LogLine>, sqlx::Error> {
    match follower {
        Some(follower) => follower.next(after).await,
        None => std::future::pending().await,
    }
}

/// Until `at`; never, without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// An event as the audit view shows it.
fn row(event: &RecordedEvent) -> Event {
    let row = json!({
        "position": event.position,
        "recorded_at": event.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor": event.metadata.actor,
        "ip": event.metadata.ip,
        "event_type": event.event_type,
        "stream": event.stream.as_str(),
        "summary": summary(event),
    });
    Event::default().id(event.position.to_string()).data(row.to_string())
}

/// A job log line, with its text in the reader's language.
fn log_event(line: &LogLine, lang: Lang) -> Event {
    let mut data = serde_json::to_value(line).unwrap_or_default();
    data["text"] = json!(say(lang, &line.message));
    Event::default().event("job_log").data(data.to_string())
}
