//! Reads of the `jobs` and `job_attempts` read models and of the raw `job_log`, in the shapes the API sends
//! (the pages use the same ones). The SQL is the same text on both backends; every value is bound.

use chrono::{DateTime, SecondsFormat};
use lawha_domain::Message;
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyPool, Row as _, any::AnyRow};
use uuid::Uuid;

use super::projection::{JOB_COLUMNS, JobRow};
use crate::ui::i18n::english;
use lawha_store::projection::message_from;

/// The states a job can be in, as the read model and the API name them (`JobStatus::name`).
pub const STATES: [&str; 7] = ["queued", "running", "retrying", "succeeded", "failed", "dead", "dispatch_failed"];

/// One job as the list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    /// The job's id: the id of the event that requested it.
    pub job_id: String,
    /// Its kind (`VerifyAuditChain`…); empty when no kind answers the request.
    pub kind: String,
    /// The queue it travels on.
    pub queue: String,
    /// `queued`, `running`, `retrying`, `succeeded`, `failed`, `dead` or `dispatch_failed`.
    pub state: String,
    /// The attempt it is at: the one running, the one due next, or the last one made (0 before the first).
    pub attempt: i64,
    /// The most attempts its contract allows.
    pub max_attempts: i64,
    /// When it was requested (RFC 3339, UTC).
    pub requested_at: String,
    /// The type of the requesting event.
    pub requested_by: String,
    /// The requesting event's position: the list's order and paging cursor.
    pub request_position: i64,
    /// When its first attempt started.
    pub started_at: Option<String>,
    /// When it ended (succeeded, failed, dead, never queued).
    pub finished_at: Option<String>,
    /// When its next attempt is due, while a retry waits.
    pub next_run_at: Option<String>,
    /// The last error recorded (English).
    pub last_error: Option<String>,
    /// The last error's message code.
    pub last_error_code: Option<String>,
    /// The last error's message arguments.
    #[schema(value_type = Option<Object>)]
    pub last_error_args: Option<Value>,
    /// How long its last finished attempt ran.
    pub duration_ms: Option<i64>,
    /// When the row last changed (the time of the last fact applied).
    pub updated_at: String,
    /// The last error as data, for the pages, which show it in the reader's language.
    #[serde(skip)]
    pub last_error_message: Option<Message>,
}

/// One attempt of a job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    /// The attempt, from 1.
    pub attempt: i64,
    /// The worker that ran it.
    pub worker: Option<String>,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// `running`, `succeeded`, `failed` (retryable) or `failed_permanently`.
    pub outcome: String,
    /// What went wrong (English).
    pub error: Option<String>,
    /// What went wrong, as a message code.
    pub error_code: Option<String>,
    /// The message's arguments.
    #[schema(value_type = Option<Object>)]
    pub error_args: Option<Value>,
    /// How long it ran.
    pub duration_ms: Option<i64>,
    /// What went wrong, as data, for the pages.
    #[serde(skip)]
    pub error_message: Option<Message>,
}

/// One job with everything known about it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobDetail {
    /// The row.
    #[serde(flatten)]
    pub job: JobSummary,
    /// Ties the job's events to the work that asked for it.
    pub correlation_id: Option<String>,
    /// The small result of a successful attempt, or null.
    #[schema(value_type = Option<Object>)]
    pub output: Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
    /// Whether `POST /api/v1/jobs/{id}/retry` would be accepted now (the job failed or is dead).
    pub retryable_by_hand: bool,
}

/// One line of a job's output.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// The line's id: the cursor `after` pages with.
    pub id: i64,
    /// The attempt that wrote it.
    pub attempt: i64,
    /// When it was written (RFC 3339, UTC).
    pub at: String,
    /// The line in English (the text as it was written, for lines written before messages).
    pub line: String,
    /// The line's message code (`text` for a line that is its text).
    pub line_code: String,
    /// The message's arguments.
    #[schema(value_type = Object)]
    pub line_args: Value,
    /// The line as data, for the pages, which show it in the reader's language.
    #[serde(skip)]
    pub message: Message,
}

/// What the list is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this state.
    pub state: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only requests below this position.
    pub before: Option<i64>,
}

/// A read model time (µs since the epoch) as the API shows it: RFC 3339, UTC, microseconds.
pub(crate) fn time(micros: Option<i64>) -> Option<String> {
    micros.and_then(DateTime::from_timestamp_micros).map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// A message the read model stored, as the API sends it: (English, code, arguments).
pub(crate) fn said(message: Option<&Message>) -> (Option<String>, Option<String>, Option<Value>) {
    match message {
        None => (None, None, None),
        Some(m) => (Some(english(m)), Some(m.code.clone()), Some(serde_json::to_value(&m.args).unwrap_or_default())),
    }
}

impl From<&JobRow> for JobSummary {
    fn from(row: &JobRow) -> Self {
        let last_error = row.last_error.as_deref().map(message_from);
        let (text, code, args) = said(last_error.as_ref());
        Self {
            job_id: row.job_id.clone(),
            kind: row.kind.clone(),
            queue: row.queue.clone(),
            state: row.state.clone(),
            attempt: row.attempt,
            max_attempts: row.max_attempts,
            requested_at: time(Some(row.requested_at)).unwrap_or_default(),
            requested_by: row.requested_by.clone(),
            request_position: row.request_position,
            started_at: time(row.started_at),
            finished_at: time(row.finished_at),
            next_run_at: time(row.next_run_at),
            last_error: text,
            last_error_code: code,
            last_error_args: args,
            duration_ms: row.duration_ms,
            updated_at: time(Some(row.updated_at)).unwrap_or_default(),
            last_error_message: last_error,
        }
    }
}

impl JobSummary {
    /// Whether a person may run it again.
    pub fn retryable_by_hand(&self) -> bool {
        matches!(self.state.as_str(), "failed" | "dead")
    }
}

/// Up to `limit` jobs, newest request first.
pub async fn list(pool: &AnyPool, filter: &ListFilter, limit: i64) -> Result<Vec<JobSummary>, sqlx::Error> {
    let mut conditions = vec![];
    let mut texts = vec![];
    for (column, value) in [("state", &filter.state), ("kind", &filter.kind)] {
        if let Some(value) = value {
            texts.push(value.clone());
            conditions.push(format!("{column} = ${}", texts.len()));
        }
    }
    if filter.before.is_some() {
        conditions.push(format!("request_position < ${}", texts.len() + 1));
    }
    let filter_sql = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let limit_at = texts.len() + 1 + usize::from(filter.before.is_some());
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs{filter_sql} ORDER BY request_position DESC LIMIT ${limit_at}");
    // The text is built from fixed fragments and placeholder numbers only.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for text in texts {
        query = query.bind(text);
    }
    if let Some(before) = filter.before {
        query = query.bind(before);
    }
    let rows = query.bind(limit).fetch_all(pool).await?;
    rows.iter().map(|r| JobRow::from_row(r).map(|row| JobSummary::from(&row))).collect()
}

/// Whether the read model knows the job.
pub async fn exists(pool: &AnyPool, job_id: Uuid) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE job_id = $1")
        .bind(job_id.to_string())
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// The job with its attempts, or `None` when the read model does not know it.
pub async fn detail(pool: &AnyPool, job_id: Uuid) -> Result<Option<JobDetail>, sqlx::Error> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job_id.to_string()).fetch_optional(pool).await? else {
        return Ok(None);
    };
    let row = JobRow::from_row(&row)?;
    let job = JobSummary::from(&row);
    let attempts = sqlx::query(
        "SELECT attempt, worker, started_at, finished_at, outcome, error, duration_ms FROM job_attempts \
         WHERE job_id = $1 ORDER BY attempt",
    )
    .bind(job_id.to_string())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        let error = r.try_get::<Option<String>, _>(5)?.as_deref().map(message_from);
        let (text, code, args) = said(error.as_ref());
        Ok(AttemptView {
            attempt: r.try_get(0)?,
            worker: r.try_get(1)?,
            started_at: time(r.try_get(2)?),
            finished_at: time(r.try_get(3)?),
            outcome: r.try_get(4)?,
            error: text,
            error_code: code,
            error_args: args,
            duration_ms: r.try_get(6)?,
            error_message: error,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(JobDetail {
        retryable_by_hand: job.retryable_by_hand(),
        correlation_id: row.correlation_id.clone(),
        output: row.output.as_deref().and_then(|o| serde_json::from_str(o).ok()).unwrap_or(Value::Null),
        attempts,
        job,
    }))
}

fn log_line(row: &AnyRow) -> Result<LogLine, sqlx::Error> {
    let text: String = row.try_get(3)?;
    let message = lawha_jobs::joblog::parse(row.try_get::<Option<String>, _>(4)?.as_deref())
        .unwrap_or_else(|| Message::text(text));
    Ok(LogLine {
        id: row.try_get(0)?,
        attempt: row.try_get(1)?,
        at: time(row.try_get(2)?).unwrap_or_default(),
        line: english(&message),
        line_code: message.code.clone(),
        line_args: serde_json::to_value(&message.args).unwrap_or_default(),
        message,
    })
}

/// Up to `limit` lines of the job's log after line `after`, oldest first.
pub async fn log_after(pool: &AnyPool, job_id: Uuid, after: i64, limit: i64) -> Result<Vec<LogLine>, sqlx::Error> {
    sqlx::query("SELECT id, attempt, at, line, message FROM job_log WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3")
        .bind(job_id.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?
        .iter()
        .map(log_line)
        .collect()
}

/// The last `limit` lines of the job's log, oldest first.
pub async fn log_tail(pool: &AnyPool, job_id: Uuid, limit: i64) -> Result<Vec<LogLine>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, attempt, at, line, message FROM job_log WHERE job_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(job_id.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await?;
    rows.iter().rev().map(log_line).collect()
}
