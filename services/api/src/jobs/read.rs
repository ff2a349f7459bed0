//! Reads of the `jobs` and `job_attempts` read models and of the raw `job_log`, in the shapes the API sends
//! (the pages use the same ones). The SQL is the same text on both backends; every value is bound.

use chrono::{DateTime, SecondsFormat};
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyPool, Row as _, any::AnyRow};
use uuid::Uuid;

/// The states a job can be in, as the read model and the API name them (`JobStatus::name`).
pub const STATES: [&str; 7] = ["queued", "running", "retrying", "succeeded", "failed", "dead", "dispatch_failed"];

/// The columns of a [`JobSummary`], in the order [`JobSummary::from_row`] reads them.
const COLUMNS: &str = "job_id, kind, queue, state, attempt, max_attempts, requested_at, requested_by, \
                       request_position, started_at, finished_at, next_run_at, last_error, duration_ms, updated_at";

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
    /// The last error recorded.
    pub last_error: Option<String>,
    /// How long its last finished attempt ran.
    pub duration_ms: Option<i64>,
    /// When the row last changed (the time of the last fact applied).
    pub updated_at: String,
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
    /// What went wrong.
    pub error: Option<String>,
    /// How long it ran.
    pub duration_ms: Option<i64>,
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
    #[schema(value_type = Object)]
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
    /// The text.
    pub line: String,
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

impl JobSummary {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            job_id: row.try_get(0)?,
            kind: row.try_get(1)?,
            queue: row.try_get(2)?,
            state: row.try_get(3)?,
            attempt: row.try_get(4)?,
            max_attempts: row.try_get(5)?,
            requested_at: time(row.try_get(6)?).unwrap_or_default(),
            requested_by: row.try_get(7)?,
            request_position: row.try_get(8)?,
            started_at: time(row.try_get(9)?),
            finished_at: time(row.try_get(10)?),
            next_run_at: time(row.try_get(11)?),
            last_error: row.try_get(12)?,
            duration_ms: row.try_get(13)?,
            updated_at: time(row.try_get(14)?).unwrap_or_default(),
        })
    }

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
    let sql = format!("SELECT {COLUMNS} FROM jobs{filter_sql} ORDER BY request_position DESC LIMIT ${limit_at}");
    // The text is built from fixed fragments and placeholder numbers only.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for text in texts {
        query = query.bind(text);
    }
    if let Some(before) = filter.before {
        query = query.bind(before);
    }
    query.bind(limit).fetch_all(pool).await?.iter().map(JobSummary::from_row).collect()
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
    let sql = format!("SELECT {COLUMNS}, correlation_id, output FROM jobs WHERE job_id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(job_id.to_string()).fetch_optional(pool).await? else {
        return Ok(None);
    };
    let job = JobSummary::from_row(&row)?;
    let output: Option<String> = row.try_get(16)?;
    let attempts = sqlx::query(
        "SELECT attempt, worker, started_at, finished_at, outcome, error, duration_ms FROM job_attempts \
         WHERE job_id = $1 ORDER BY attempt",
    )
    .bind(job_id.to_string())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| {
        Ok(AttemptView {
            attempt: r.try_get(0)?,
            worker: r.try_get(1)?,
            started_at: time(r.try_get(2)?),
            finished_at: time(r.try_get(3)?),
            outcome: r.try_get(4)?,
            error: r.try_get(5)?,
            duration_ms: r.try_get(6)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(JobDetail {
        retryable_by_hand: job.retryable_by_hand(),
        correlation_id: row.try_get(15)?,
        output: output.and_then(|o| serde_json::from_str(&o).ok()).unwrap_or(Value::Null),
        attempts,
        job,
    }))
}

fn log_line(row: &AnyRow) -> Result<LogLine, sqlx::Error> {
    Ok(LogLine {
        id: row.try_get(0)?,
        attempt: row.try_get(1)?,
        at: time(row.try_get(2)?).unwrap_or_default(),
        line: row.try_get(3)?,
    })
}

/// Up to `limit` lines of the job's log after line `after`, oldest first.
pub async fn log_after(pool: &AnyPool, job_id: Uuid, after: i64, limit: i64) -> Result<Vec<LogLine>, sqlx::Error> {
    sqlx::query("SELECT id, attempt, at, line FROM job_log WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3")
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
    let rows = sqlx::query("SELECT id, attempt, at, line FROM job_log WHERE job_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(job_id.to_string())
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().rev().map(log_line).collect()
}
