//! The jobs pages (they work without JavaScript): the list with its filters and paging, one job with its
//! attempts, its log (the last lines, and new ones live when scripts run) and, for operators, Retry. A running
//! job whose worker missed its heartbeat reads "worker lost, will be retried" (`lost.rs`).

mod lost;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use lawha_jobs::registry;

use super::api::{ListQuery, job_id, page as list_page};
use crate::{
    http::{auth::Principal, context::RequestContext, error::ApiError, health::Availability},
    jobs::{
        commands,
        read::{self, AttemptView, JobSummary, LogLine, STATES},
    },
    state::AppState,
    ui::{
        ErrorPage, Lang, Page, Section,
        kit::{Alerts, Done, refusal_text, say, when},
        request::{PageRequest, signed_in_nav},
    },
};

/// The most log lines the job page shows; older ones are in `GET /api/v1/jobs/{id}/log`.
const LOG_LINES: i64 = 500;
/// The refusals of a retry that the page explains in words of its own.
const REFUSALS: [&str; 5] = ["not_retryable", "never_queued", "conflict", "not_found", "forbidden"];

/// Milliseconds in the page's language.
fn duration(page: &Page, ms: i64) -> String {
    page.t_num("job-duration-ms", "ms", ms)
}

/// A job as both pages show it: the API's summary (its other fields through `Deref`), with what the page shows
/// in words of its language.
#[derive(Debug)]
pub struct JobView {
    /// The job as the API sends it.
    pub summary: JobSummary,
    /// Kind, or "—".
    pub kind: String,
    /// Queue, or "—".
    pub queue: String,
    /// The state in words.
    pub state_label: String,
    /// When it was requested, localized.
    pub requested: String,
    /// The requesting event's type, or "—".
    pub requested_by: String,
    /// When it started, ended and is due next, localized.
    pub started: String,
    /// See `started`.
    pub finished: String,
    /// See `started`.
    pub next_run: String,
    /// The last error, in the page's language.
    pub last_error: Option<String>,
    /// The last attempt's duration, in words.
    pub duration: Option<String>,
    /// Whether it is running on a worker that missed its heartbeat.
    pub worker_lost: bool,
}

impl std::ops::Deref for JobView {
    type Target = JobSummary;

    fn deref(&self) -> &JobSummary {
        &self.summary
    }
}

impl JobView {
    fn new(page: &Page, job: JobSummary) -> Self {
        let dash = |s: &str| if s.is_empty() { "—".to_owned() } else { s.to_owned() };
        Self {
            kind: dash(&job.kind),
            queue: dash(&job.queue),
            state_label: page.t(&format!("job-state-{}", job.state)),
            requested: when(page.lang, Some(&job.requested_at)),
            requested_by: dash(&job.requested_by),
            started: when(page.lang, job.started_at.as_deref()),
            finished: when(page.lang, job.finished_at.as_deref()),
            // A retry by hand has no delay: the attempt is due as soon as a worker takes it.
            next_run: match job.next_run_at.as_deref() {
                None if job.state == "retrying" => page.t("job-next-run-now"),
                at => when(page.lang, at),
            },
            last_error: job.last_error_message.as_ref().map(|m| say(page.lang, m)),
            duration: job.duration_ms.map(|ms| duration(page, ms)),
            worker_lost: false,
            summary: job,
        }
    }

    /// The same job, read as running on a worker that missed its heartbeat.
    fn worker_lost(mut self, page: &Page) -> Self {
        self.worker_lost = true;
        self.state_label = page.t("job-state-worker_lost");
        self
    }
}

/// A choice of a filter: (value, label, selected).
pub type Choice = (String, String, bool);

/// The jobs page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "jobs.html")]
pub struct JobsPage {
    /// Shared part.
    pub page: Page,
    /// The rows, newest request first.
    pub rows: Vec<JobView>,
    /// The state filter's choices.
    pub states: Vec<Choice>,
    /// The kind filter's choices.
    pub kinds: Vec<Choice>,
    /// Why the filters are refused.
    pub alerts: Alerts,
    /// The next page's link.
    pub next_href: Option<String>,
}

fn nav_page(page: Page, request: &PageRequest, principal: &Principal) -> Page {
    let nav = signed_in_nav(page.lang, &request.prefix, Section::Jobs, principal);
    page.with_nav(nav).with_user(principal.user.clone())
}

/// `GET /jobs` (viewer).
pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("jobs-title").await?;
    let page = nav_page(page, &request, &principal);
    let (rows, next, error) = match ListQuery::parse(&pairs) {
        Ok(query) => {
            let result = list_page(&state, &query).await?;
            (result.items, result.next_before, None)
        }
        Err(e) => (vec![], None, Some(refusal_text(page.lang, &ApiError::from(e)))),
    };
    let chosen = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let (state_now, kind_now) = (chosen("state"), chosen("kind"));
    let states = STATES.iter().map(|s| ((*s).to_owned(), page.t(&format!("job-state-{s}")), *s == state_now)).collect();
    let kinds = registry::KINDS.iter().map(|k| (k.kind.to_owned(), k.kind.to_owned(), k.kind == kind_now)).collect();
    let next_href = next.map(|before| {
        let mut next_pairs: Vec<_> = pairs.iter().filter(|(k, v)| k != "before" && !v.is_empty()).cloned().collect();
        next_pairs.push(("before".into(), before.to_string()));
        request.prefix.join(&format!("/jobs?{}", serde_urlencoded::to_string(next_pairs).unwrap_or_default()))
    });
    let mut views = Vec::with_capacity(rows.len());
    for job in rows {
        let lost = lost::job_lost(&state.db.read_models, &state.availability, &job).await;
        let view = JobView::new(&page, job);
        views.push(if lost { view.worker_lost(&page) } else { view });
    }
    let rows = views;
    let alerts = Alerts { notice: None, error };
    Ok(JobsPage { page, rows, states, kinds, alerts, next_href }.into_response())
}

/// One attempt as the job page shows it.
#[derive(Debug)]
pub struct AttemptRow {
    /// The attempt.
    pub attempt: i64,
    /// The worker, or "—".
    pub worker: String,
    /// Localized times.
    pub started: String,
    /// See `started`.
    pub finished: String,
    /// The outcome in words.
    pub outcome: String,
    /// The error.
    pub error: String,
    /// How long it ran, in words.
    pub duration: String,
    /// Whether it runs on a worker that missed its heartbeat.
    pub worker_lost: bool,
}

/// A log line as the job page shows it.
#[derive(Debug)]
pub struct LogRow {
    /// The line's id.
    pub id: i64,
    /// The attempt that wrote it.
    pub attempt: i64,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// Localized.
    pub time: String,
    /// The text.
    pub line: String,
}

impl LogRow {
    pub(crate) fn new(lang: Lang, line: LogLine) -> Self {
        let text = say(lang, &line.message);
        Self { time: when(lang, Some(&line.at)), id: line.id, attempt: line.attempt, at: line.at, line: text }
    }
}

/// The job page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "job.html")]
pub struct JobPage {
    /// Shared part.
    pub page: Page,
    /// The job.
    pub job: JobView,
    /// Ties its events together.
    pub correlation_id: String,
    /// Its output, as JSON text, when it has one.
    pub output: Option<String>,
    /// Its attempts, oldest first.
    pub attempts: Vec<AttemptRow>,
    /// The last lines of its log, oldest first.
    pub log: Vec<LogRow>,
    /// The id of the last line shown, where live lines continue.
    pub log_after: i64,
    /// Whether the Retry button is shown (an operator, and a failed or dead job).
    pub can_retry: bool,
    /// What was just done, or why the last retry was refused.
    pub alerts: Alerts,
}

impl JobPage {
    /// The job whose log `job_log.html` follows.
    pub fn log_job(&self) -> &str {
        &self.job.job_id
    }
}

/// `?refused=<code>` after the Retry form was refused (`?done=retry` after it was accepted).
#[derive(Debug, serde::Deserialize)]
pub struct Refusal {
    refused: Option<String>,
}

/// `GET /jobs/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
    Query(refusal): Query<Refusal>,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("job-title").await?;
    let page = nav_page(page, &request, &principal);
    let pool = &state.db.read_models;
    let detail = match job_id(&id) {
        Ok(job_id) => read::detail(pool, job_id).await?,
        Err(_) => None,
    };
    let Some(detail) = detail else { return Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response()) };
    let log = read::log_tail(pool, job_id(&id)?, LOG_LINES).await?;
    let attempts: Vec<AttemptRow> =
        detail.attempts.into_iter().map(|a| attempt_row(&page, &state.availability, a)).collect();
    let current_lost =
        detail.job.state == "running" && attempts.iter().any(|a| a.attempt == detail.job.attempt && a.worker_lost);
    let notice = done.notice(&page, "job-done", &["retry"]);
    let error = refusal.refused.map(|code| {
        if REFUSALS.contains(&code.as_str()) { page.t(&format!("job-refused-{code}")) } else { page.t("job-refused") }
    });
    Ok(JobPage {
        can_retry: detail.retryable_by_hand
            && principal.level >= Role::Operator
            && commands::Power { level: principal.level, interactive: principal.interactive }
                .covers(commands::retry_needs(&detail.job.kind)),
        correlation_id: detail.correlation_id.unwrap_or_default(),
        output: (!detail.output.is_null()).then(|| detail.output.to_string()),
        log_after: log.last().map_or(0, |l| l.id),
        log: log.into_iter().map(|l| LogRow::new(page.lang, l)).collect(),
        job: if current_lost {
            JobView::new(&page, detail.job).worker_lost(&page)
        } else {
            JobView::new(&page, detail.job)
        },
        page,
        attempts,
        alerts: Alerts { notice, error },
    }
    .into_response())
}

fn attempt_row(page: &Page, availability: &Availability, a: AttemptView) -> AttemptRow {
    let worker_lost =
        a.outcome == "running" && lost::attempt_lost(availability, a.worker.as_deref(), a.started_at.as_deref());
    let outcome = if worker_lost { "worker_lost" } else { a.outcome.as_str() };
    AttemptRow {
        attempt: a.attempt,
        worker: a.worker.unwrap_or_else(|| "—".to_owned()),
        started: when(page.lang, a.started_at.as_deref()),
        finished: when(page.lang, a.finished_at.as_deref()),
        outcome: page.t(&format!("job-outcome-{outcome}")),
        worker_lost,
        error: a.error_message.as_ref().map(|m| say(page.lang, m)).unwrap_or_default(),
        duration: a.duration_ms.map(|ms| duration(page, ms)).unwrap_or_default(),
    }
}

/// `POST /jobs/{id}/retry` (operator, from the job page's form): retries, then shows the job page again with a
/// notice, once the read model shows the retry; a refusal comes back as a notice too.
pub async fn retry(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    // The id is parsed before it goes into a redirect: a path segment may decode to anything.
    let job_id = job_id(&id)?;
    let back = format!("/jobs/{job_id}");
    let power = commands::Power { level: principal.level, interactive: principal.interactive };
    let result = commands::retry(&state.db, job_id, power, &context.metadata()).await.map_err(ApiError::from);
    match result {
        Ok(retried) => {
            let visible = || async {
                sqlx::query_scalar::<_, i64>("SELECT stream_version FROM jobs WHERE job_id = $1")
                    .bind(job_id.to_string())
                    .fetch_optional(&state.db.read_models)
                    .await
                    .is_ok_and(|v| v.is_some_and(|v| v >= retried.stream_version))
            };
            crate::projections::settle(visible).await;
            Ok(request.prefix.redirect(&format!("{back}?done=retry")).into_response())
        }
        Err(e) if !e.is_refusal() => Err(e),
        Err(e) => Ok(request.prefix.redirect(&format!("{back}?refused={}", e.code())).into_response()),
    }
}
