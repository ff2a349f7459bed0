//! Reads of `backup_plans` and `backup_runs` in the shapes the API sends (the pages use the same ones). The SQL
//! is the same text on both backends; every value is bound. Nothing here can show a password: the read model
//! never holds one.

use lawha_domain::Message;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{AnyPool, Row as _, any::AnyRow};
use uuid::Uuid;

use lawha_store::projection::{message_from, message_from_value};

use crate::{jobs::read::time, ui::i18n::english};

/// A plan as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// Its id.
    pub id: String,
    /// Its name (also the archive folder).
    pub name: String,
    /// `{"kind", "path"}` or `{"kind", "url"}`, the URL's password shown as `***`.
    #[schema(value_type = Object)]
    pub source: Value,
    /// `{"kind": "local", "path"}`.
    #[schema(value_type = Object)]
    pub destination: Value,
    /// The cron expression, or null.
    pub schedule: Option<String>,
    /// The schedule's zone.
    pub timezone: String,
    /// `{"keep_last", "keep_days", "max_total_bytes"}`.
    #[schema(value_type = Object)]
    pub retention: Value,
    /// zstd level.
    pub compression_level: i64,
    /// Null, or `{"recipient"}`.
    #[schema(value_type = Option<Object>)]
    pub encryption: Option<Value>,
    /// When it was created and last changed (RFC 3339).
    pub created_at: String,
    /// When it was last changed.
    pub updated_at: String,
}

const PLAN_COLUMNS: &str = "plan_id, name, source_kind, source_location, destination_path, schedule, timezone, \
                            retention, compression_level, encrypted_for, created_at, updated_at";

impl PlanView {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let kind: String = row.try_get(2)?;
        let location: String = row.try_get(3)?;
        let field = if matches!(kind.as_str(), "postgres" | "mysql") { "url" } else { "path" };
        let retention: String = row.try_get(7)?;
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            source: serde_json::json!({ "kind": kind, field: location }),
            destination: serde_json::json!({ "kind": "local", "path": row.try_get::<String, _>(4)? }),
            schedule: row.try_get(5)?,
            timezone: row.try_get(6)?,
            retention: serde_json::from_str(&retention).unwrap_or(Value::Null),
            compression_level: row.try_get(8)?,
            encryption: row.try_get::<Option<String>, _>(9)?.map(|r| serde_json::json!({ "recipient": r })),
            created_at: time(row.try_get(10)?).unwrap_or_default(),
            updated_at: time(row.try_get(11)?).unwrap_or_default(),
        })
    }
}

/// The live plans, by name.
pub async fn plans(pool: &AnyPool) -> Result<Vec<PlanView>, sqlx::Error> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM backup_plans WHERE deleted = 0 ORDER BY name");
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?.iter().map(PlanView::from_row).collect()
}

/// One live plan.
pub async fn plan(pool: &AnyPool, id: Uuid) -> Result<Option<PlanView>, sqlx::Error> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM backup_plans WHERE plan_id = $1 AND deleted = 0");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(PlanView::from_row).transpose()
}

/// Whether a live plan other than `except` has this name.
pub async fn name_taken(pool: &AnyPool, name: &str, except: Option<Uuid>) -> Result<bool, sqlx::Error> {
    let except = except.map(|id| id.to_string()).unwrap_or_default();
    let sql = "SELECT COUNT(*) FROM backup_plans WHERE name = $1 AND deleted = 0 AND plan_id <> $2";
    let n: i64 = sqlx::query_scalar(sql).bind(name.to_owned()).bind(except).fetch_one(pool).await?;
    Ok(n > 0)
}

/// The schedules of live plans: id, cron, zone, last change (µs).
pub async fn schedules(pool: &AnyPool) -> Result<Vec<(String, String, String, i64)>, sqlx::Error> {
    let sql = "SELECT plan_id, schedule, timezone, updated_at FROM backup_plans \
               WHERE deleted = 0 AND schedule IS NOT NULL ORDER BY plan_id";
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// Its id.
    pub id: String,
    /// Its plan.
    pub plan_id: String,
    /// Its job (follow it at `/api/v1/jobs/{job_id}`, its log at `…/log`).
    pub job_id: String,
    /// `manual` or `schedule`.
    pub trigger: String,
    /// `requested`, `running`, `verifying`, `completed` or `failed`.
    pub status: String,
    /// The job attempt last recorded.
    pub attempt: i64,
    /// When it was requested, started, finished (RFC 3339).
    pub requested_at: String,
    /// When its last attempt started.
    pub started_at: Option<String>,
    /// When it completed or failed.
    pub finished_at: Option<String>,
    /// The archive, once completed.
    pub archive_path: Option<String>,
    /// The manifest beside it.
    pub manifest_path: Option<String>,
    /// Bytes stored.
    pub size_bytes: Option<i64>,
    /// Bytes read from the source.
    pub source_bytes: Option<i64>,
    /// SHA-256 of the stored bytes.
    pub sha256: Option<String>,
    /// Entries in the archive.
    pub entries: Option<i64>,
    /// What the source left out, and why (English).
    pub skipped: Vec<String>,
    /// The same as messages: `[{"code", "args"}]`, for clients that show them in another language.
    #[schema(value_type = Vec<Object>)]
    pub skipped_messages: Vec<Value>,
    /// The precise reason of the last failure (English).
    pub error: Option<String>,
    /// The reason's message code.
    pub error_code: Option<String>,
    /// The reason's message arguments.
    #[schema(value_type = Option<Object>)]
    pub error_args: Option<Value>,
    /// Whether retention removed the archive, and why (English).
    pub pruned: Option<String>,
    /// Why, as a message code.
    pub pruned_code: Option<String>,
    /// Why, the message's arguments.
    #[schema(value_type = Option<Object>)]
    pub pruned_args: Option<Value>,
    /// The last verification: `{"state": requested|ok|failed, "message" (English), "message_code",
    /// "message_args", "job_id"}`.
    #[schema(value_type = Option<Object>)]
    pub last_verify: Option<Value>,
    /// The last restore: `{"state": requested|restored|failed, "message", "message_code", "message_args",
    /// "job_id"}`.
    #[schema(value_type = Option<Object>)]
    pub last_restore: Option<Value>,
    /// The messages above, for the pages, which show them in the reader's language.
    #[serde(skip)]
    pub messages: RunMessages,
}

/// The messages of a run, as data: the pages render them in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct RunMessages {
    /// What the source left out.
    pub skipped: Vec<Message>,
    /// The last failure.
    pub error: Option<Message>,
    /// Why retention removed the archive.
    pub pruned: Option<Message>,
    /// What the last verification found.
    pub verify: Option<Message>,
    /// What the last restore did.
    pub restore: Option<Message>,
}

/// A stored check (`{"state", "message", "job_id", …}`) as the API shows it: the message in English and as data.
fn check(stored: Option<Value>) -> (Option<Value>, Option<Message>) {
    let Some(mut value) = stored else { return (None, None) };
    let message = value.get("message").and_then(message_from_value);
    if let (Some(object), Some(message)) = (value.as_object_mut(), &message) {
        object.insert("message".into(), Value::String(english(message)));
        object.insert("message_code".into(), Value::String(message.code.clone()));
        object.insert("message_args".into(), serde_json::to_value(&message.args).unwrap_or(Value::Null));
    }
    (Some(value), message)
}

const RUN_COLUMNS: &str = "run_id, plan_id, job_id, trigger_kind, status, attempt, requested_at, started_at, \
                           finished_at, archive_path, manifest_path, size_bytes, source_bytes, sha256, entries, \
                           skipped, error, pruned, pruned_reason, last_verify, last_restore";

impl RunView {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let json = |i: usize| -> Result<Option<Value>, sqlx::Error> {
            Ok(row.try_get::<Option<String>, _>(i)?.and_then(|t| serde_json::from_str(&t).ok()))
        };
        let skipped: Vec<Message> = match json(15)? {
            Some(Value::Array(items)) => items.iter().filter_map(message_from_value).collect(),
            _ => Vec::new(),
        };
        let pruned: i64 = row.try_get(17)?;
        let error = row.try_get::<Option<String>, _>(16)?.map(|text| message_from(&text));
        let pruned = if pruned == 1 {
            Some(
                row.try_get::<Option<String>, _>(18)?
                    .map(|text| message_from(&text))
                    .unwrap_or_else(|| Message::text("")),
            )
        } else {
            None
        };
        let (last_verify, verify) = check(json(19)?);
        let (last_restore, restore) = check(json(20)?);
        Ok(Self {
            id: row.try_get(0)?,
            plan_id: row.try_get(1)?,
            job_id: row.try_get(2)?,
            trigger: row.try_get(3)?,
            status: row.try_get(4)?,
            attempt: row.try_get(5)?,
            requested_at: time(row.try_get(6)?).unwrap_or_default(),
            started_at: time(row.try_get(7)?),
            finished_at: time(row.try_get(8)?),
            archive_path: row.try_get(9)?,
            manifest_path: row.try_get(10)?,
            size_bytes: row.try_get(11)?,
            source_bytes: row.try_get(12)?,
            sha256: row.try_get(13)?,
            entries: row.try_get(14)?,
            skipped: skipped.iter().map(english).collect(),
            skipped_messages: skipped.iter().map(|m| json!({ "code": m.code, "args": m.args })).collect(),
            error: error.as_ref().map(english),
            error_code: error.as_ref().map(|m| m.code.clone()),
            error_args: error.as_ref().map(|m| json!(m.args)),
            pruned: pruned.as_ref().map(english),
            pruned_code: pruned.as_ref().map(|m| m.code.clone()),
            pruned_args: pruned.as_ref().map(|m| json!(m.args)),
            last_verify,
            last_restore,
            messages: RunMessages { skipped, error, pruned, verify, restore },
        })
    }
}

/// A plan's runs, newest first, at most `limit`.
pub async fn runs(pool: &AnyPool, plan_id: Uuid, limit: i64) -> Result<Vec<RunView>, sqlx::Error> {
    let sql =
        format!("SELECT {RUN_COLUMNS} FROM backup_runs WHERE plan_id = $1 ORDER BY request_position DESC LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(plan_id.to_string()).bind(limit).fetch_all(pool).await?;
    rows.iter().map(RunView::from_row).collect()
}

/// One run.
pub async fn run(pool: &AnyPool, id: Uuid) -> Result<Option<RunView>, sqlx::Error> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM backup_runs WHERE run_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(RunView::from_row).transpose()
}
