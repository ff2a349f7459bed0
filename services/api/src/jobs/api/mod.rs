//! The jobs API: the list (filtered by state and kind, newest request first, paged by request position), one
//! job with its attempts, a retry by hand, and the job's output lines. Reads come from the `jobs` read model
//! and the job log; the retry decides on the job's own stream.

pub mod admin;

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::StatusCode,
};
use lawha_jobs::registry;
use serde::Serialize;
use uuid::Uuid;

use lawha_domain::Message;

use super::commands::Power;
use super::{JobError, messages};
use crate::http::{
    auth::Principal,
    context::RequestContext,
    error::ApiError,
    input::{ApiQuery, shown},
};
use crate::{
    jobs::{
        self,
        read::{self, JobDetail, JobSummary, ListFilter, LogLine, STATES},
    },
    state::AppState,
};

/// Page sizes of the list.
const LIMITS: std::ops::RangeInclusive<i64> = 1..=200;
/// Lines per page of the log.
const LOG_LIMITS: std::ops::RangeInclusive<i64> = 1..=1000;

/// The states a job can be in, for the OpenAPI document (the read model's `STATES`).
#[derive(Debug, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum JobStateName {
    /// Waiting in its queue.
    Queued,
    /// An attempt is running.
    Running,
    /// Waiting for its next attempt.
    Retrying,
    /// Done.
    Succeeded,
    /// Failed with an error no retry can fix.
    Failed,
    /// Out of attempts.
    Dead,
    /// The dispatcher could not queue it.
    DispatchFailed,
}

/// The kinds of job, for the OpenAPI document (the job registry's kinds).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub enum JobKindName {
    /// Verifies the audit chain.
    VerifyAuditChain,
    /// Rebuilds a read model.
    RebuildProjection,
    /// A diagnostic job.
    Probe,
    /// Runs a backup plan.
    RunBackup,
    /// Verifies a backup run's archive.
    VerifyBackup,
    /// Restores a backup run.
    RestoreBackup,
    /// Runs a deployment of a site.
    Deploy,
    /// Orders a certificate for the first time.
    IssueCertificate,
    /// Orders a certificate again (a renewal).
    RenewCertificate,
}

/// A page of the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobPage {
    /// Newest request first.
    pub items: Vec<JobSummary>,
    /// The `before` of the next page, or null when this page is the last.
    pub next_before: Option<i64>,
}

/// A page of a job's log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogPage {
    /// Oldest first.
    pub lines: Vec<LogLine>,
    /// The `after` of the next page: the last line's id (or the `after` asked for, when there was none).
    pub next_after: i64,
}

/// A retry that was accepted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetryAccepted {
    /// The job.
    pub job_id: Uuid,
    /// The attempt that will run.
    pub attempt: u32,
}

/// `?state=&kind=&limit=&before=`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The filters and the cursor.
    pub filter: ListFilter,
    /// Rows per page.
    pub limit: i64,
}

fn invalid(parameter: &str, message: Message, valid: &[&'static str]) -> JobError {
    JobError::InvalidQuery { parameter: parameter.to_owned(), message, valid: valid.to_vec() }
}

fn number(parameter: &str, value: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, JobError> {
    value.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
        let (min, max) = (*range.start(), *range.end());
        invalid(parameter, messages::number_range(parameter, min.to_string(), max.to_string(), shown(value)), &[])
    })
}

impl ListQuery {
    /// Parses the query pairs; empty values mean "any" (a form's blank choice), unknown keys and values are
    /// 422 naming what is valid.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, JobError> {
        let kinds: Vec<&'static str> = registry::KINDS.iter().map(|k| k.kind).collect();
        let mut query = Self { filter: ListFilter::default(), limit: 50 };
        for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            if key.contains('\0') || value.contains('\0') {
                return Err(invalid(key, crate::http::input::messages::query_nul(shown(key)), &[]));
            }
            match key.as_str() {
                "state" if STATES.contains(&value.as_str()) => query.filter.state = Some(value.clone()),
                "state" => return Err(invalid("state", messages::unknown_state(shown(value)), &STATES)),
                "kind" if kinds.contains(&value.as_str()) => query.filter.kind = Some(value.clone()),
                "kind" => return Err(invalid("kind", messages::unknown_kind(shown(value)), &kinds)),
                "limit" => query.limit = number("limit", value, LIMITS)?,
                "before" => query.filter.before = Some(number("before", value, 1..=i64::MAX)?),
                other => {
                    let known = ["state", "kind", "limit", "before"];
                    return Err(invalid(&shown(other), messages::unknown_parameter(shown(other)), &known));
                }
            }
        }
        Ok(query)
    }
}

/// A job id from the path; anything that is not a UUID names no job.
pub fn job_id(id: &str) -> Result<Uuid, JobError> {
    Uuid::parse_str(id).map_err(|_| JobError::NotFound(id.to_owned()))
}

/// One page of the list; the JSON list and the jobs page both use it.
pub async fn page(state: &AppState, query: &ListQuery) -> Result<JobPage, ApiError> {
    // One row more than asked tells whether another page exists without a COUNT.
    let mut items = read::list(&state.db.read_models, &query.filter, query.limit + 1).await?;
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next_before = if more { items.last().map(|j| j.request_position) } else { None };
    Ok(JobPage { items, next_before })
}

/// `GET /api/v1/jobs`.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", security(("bearer" = [])),
    params(
        ("state" = Option<JobStateName>, Query, description = "Only jobs in this state"),
        ("kind" = Option<JobKindName>, Query, description = "Only jobs of this kind"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Jobs per page, default 50"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Only requests below this position: the `next_before` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page, newest request first", body = JobPage),
        (status = 400, description = "An unknown state, kind or parameter, or a number out of range (`invalid_query`); `details.valid` lists the valid values", body = crate::http::error::ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, ApiQuery(pairs): ApiQuery) -> Result<Json<JobPage>, ApiError> {
    Ok(Json(page(&state, &ListQuery::parse(&pairs)?).await?))
}

/// `GET /api/v1/jobs/{id}`.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job, its attempts, and whether it can be retried by hand", body = JobDetail),
        (status = 404, description = "No such job", body = crate::http::error::ErrorBody),
    ))]
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<JobDetail>, ApiError> {
    let job_id = job_id(&id)?;
    let detail = read::detail(&state.db.read_models, job_id).await?;
    detail.map(Json).ok_or_else(|| JobError::NotFound(job_id.to_string()).into())
}

/// `POST /api/v1/jobs/{id}/retry`.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", security(("bearer" = [])),
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 202, description = "The retry is recorded (`JobRetryRequested`) and will be queued", body = RetryAccepted),
        (status = 403, description = "Below the operator level, or below the power the job's request needed (admin for projection rebuilds, audit verifications and probes; a signed-in admin for restores)", body = crate::http::error::ErrorBody),
        (status = 404, description = "No such job", body = crate::http::error::ErrorBody),
        (status = 409, description = "The job is not failed or dead, or it changed meanwhile; the message says which", body = crate::http::error::ErrorBody),
    ))]
pub async fn retry(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RetryAccepted>), ApiError> {
    let power = Power { level: principal.level, interactive: principal.interactive };
    let retried = jobs::commands::retry(&state.db, job_id(&id)?, power, &context.metadata()).await?;
    Ok((StatusCode::ACCEPTED, Json(RetryAccepted { job_id: retried.job_id, attempt: retried.attempt })))
}

/// `GET /api/v1/jobs/{id}/log`.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/log", tag = "jobs", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The job's id"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only lines with an id above this: the `next_after` of the previous page (default 0)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Lines per page, default 500"),
    ),
    responses(
        (status = 200, description = "Lines, oldest first", body = LogPage),
        (status = 404, description = "No such job", body = crate::http::error::ErrorBody),
        (status = 400, description = "An unknown parameter or a number out of range (`invalid_query`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn log(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(pairs): ApiQuery,
) -> Result<Json<LogPage>, ApiError> {
    // The query is checked before the id, so a bad parameter is 400 whether or not the job exists.
    let (mut after, mut limit) = (0, 500);
    for (key, value) in &pairs {
        match key.as_str() {
            "after" => after = number("after", value, 0..=i64::MAX)?,
            "limit" => limit = number("limit", value, LOG_LIMITS)?,
            other => {
                return Err(
                    invalid(&shown(other), messages::unknown_parameter(shown(other)), &["after", "limit"]).into()
                );
            }
        }
    }
    let job_id = job_id(&id)?;
    let pool = &state.db.read_models;
    if !read::exists(pool, job_id).await? {
        return Err(JobError::NotFound(job_id.to_string()).into());
    }
    let lines = read::log_after(pool, job_id, after, limit).await?;
    let next_after = lines.last().map_or(after, |l| l.id);
    Ok(Json(LogPage { lines, next_after }))
}
