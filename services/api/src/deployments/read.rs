//! Reads of `sites` and `deployments` in the shapes the API and the pages use, and the waits a command makes for
//! them. The SQL is the same on both backends; every value is bound. The read model holds no secret to show.

use std::collections::HashMap;

use lawha_domain::Message;
use lawha_store::projection::message_from;
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyPool, Row as _, any::AnyRow};
use uuid::Uuid;

use crate::jobs::read::{said, time};

/// A site as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    /// Its id.
    pub id: String,
    /// Its unique name (also the folder of its releases).
    pub name: String,
    /// Where the code comes from.
    pub repository: String,
    /// The branch that is deployed.
    pub branch: String,
    /// `process`, `systemd` or `docker`.
    pub runtime: String,
    /// The machine it runs on.
    pub host: String,
    /// What builds a release, or null when nothing needs building.
    pub build_command: Option<String>,
    /// What runs a release (it listens on `$PORT`).
    pub start_command: String,
    /// The path asked on a new release before the switch.
    pub health_path: String,
    /// The port the blue release listens on.
    pub port_blue: i64,
    /// The port the green release listens on.
    pub port_green: i64,
    /// The host names it answers to.
    pub domains: Vec<String>,
    /// The names of its releases' environment variables (their values are sealed, never shown).
    pub env_names: Vec<String>,
    /// How many releases stay on disk for rollbacks.
    pub releases_to_keep: i64,
    /// Whether the worker fetches with a deploy key (the key itself is sealed, never shown).
    pub has_deploy_key: bool,
    /// When its webhook secret was made or last replaced (RFC 3339).
    pub webhook_rotated_at: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last changed (RFC 3339).
    pub updated_at: String,
    /// The colour that serves (`blue` or `green`), or null before the first switch.
    pub live_colour: Option<String>,
    /// The commit of the release that serves.
    pub live_commit: Option<String>,
    /// The release that serves.
    pub live_release_id: Option<String>,
    /// Since when it serves (RFC 3339).
    pub live_since: Option<String>,
    /// Its last deployment (the last one with a recorded fact).
    pub last_deployment_id: Option<String>,
    /// That deployment's status.
    pub last_status: Option<String>,
}

const SITE_COLUMNS: &str = "site_id, name, repository, branch, runtime, host, build_command, start_command, \
                            health_path, port_blue, port_green, domains, env_names, releases_to_keep, has_deploy_key, \
                            webhook_rotated_at, created_at, updated_at, live_colour, live_commit, live_release_id, \
                            live_since, last_deployment_id, last_status";

impl SiteView {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let list = |i: usize| -> Result<Vec<String>, sqlx::Error> {
            Ok(serde_json::from_str(&row.try_get::<String, _>(i)?).unwrap_or_default())
        };
        Ok(Self {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            repository: row.try_get(2)?,
            branch: row.try_get(3)?,
            runtime: row.try_get(4)?,
            host: row.try_get(5)?,
            build_command: row.try_get(6)?,
            start_command: row.try_get(7)?,
            health_path: row.try_get(8)?,
            port_blue: row.try_get(9)?,
            port_green: row.try_get(10)?,
            domains: list(11)?,
            env_names: list(12)?,
            releases_to_keep: row.try_get(13)?,
            has_deploy_key: row.try_get::<i64, _>(14)? == 1,
            webhook_rotated_at: time(row.try_get(15)?).unwrap_or_default(),
            created_at: time(row.try_get(16)?).unwrap_or_default(),
            updated_at: time(row.try_get(17)?).unwrap_or_default(),
            live_colour: row.try_get(18)?,
            live_commit: row.try_get(19)?,
            live_release_id: row.try_get(20)?,
            live_since: time(row.try_get(21)?),
            last_deployment_id: row.try_get(22)?,
            last_status: row.try_get(23)?,
        })
    }
}

/// The sites, by name.
pub async fn list_sites(pool: &AnyPool) -> Result<Vec<SiteView>, sqlx::Error> {
    let sql = format!("SELECT {SITE_COLUMNS} FROM sites ORDER BY name, site_id");
    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?.iter().map(SiteView::from_row).collect()
}

/// One site (None once deleted).
pub async fn site(pool: &AnyPool, id: Uuid) -> Result<Option<SiteView>, sqlx::Error> {
    let sql = format!("SELECT {SITE_COLUMNS} FROM sites WHERE site_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(SiteView::from_row).transpose()
}

/// Whether a site other than `except` has this name (the log names sites by id: this is where names are checked).
pub async fn name_taken(pool: &AnyPool, name: &str, except: Option<Uuid>) -> Result<bool, sqlx::Error> {
    let except = except.map(|id| id.to_string()).unwrap_or_default();
    let sql = "SELECT COUNT(*) FROM sites WHERE name = $1 AND site_id <> $2";
    let n: i64 = sqlx::query_scalar(sql).bind(name.to_owned()).bind(except).fetch_one(pool).await?;
    Ok(n > 0)
}

/// A deployment as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeploymentView {
    /// Its id.
    pub id: String,
    /// The job that runs it: its live log is `/api/v1/jobs/{job_id}/log` (over SSE too).
    pub job_id: Option<String>,
    /// Its site.
    pub site_id: String,
    /// The machine it runs on.
    pub host: String,
    /// `requested`, `fetched`, `built`, `started`, `health_passed`, `switched`, `drained`, `succeeded` or `failed`.
    /// A deployment whose job will never run again (dead-lettered after its attempts, or refused at dispatch) is
    /// `failed`, with the job's last error as its reason, whatever step it reached.
    pub status: String,
    /// `push`, `manual`, `rollback` or `follow_up`.
    pub trigger_kind: String,
    /// Who or what asked: `{"kind", …}` with `pusher`, `delivery_id`, `hook_id`; `actor`; `release_id`; `after`.
    #[schema(value_type = Object)]
    pub trigger: Value,
    /// The commit asked for, or null for the branch head.
    pub requested_commit: Option<String>,
    /// The commit fetched.
    pub commit: Option<String>,
    /// The release built (or, for a rollback, the release served again).
    pub release_id: Option<String>,
    /// When the release was built (RFC 3339).
    pub built_at: Option<String>,
    /// The colour the release was started on.
    pub colour: Option<String>,
    /// The step it failed at: `fetch`, `build`, `start`, `health`, `switch` or `drain`.
    pub failed_step: Option<String>,
    /// Why it failed (English).
    pub reason: Option<String>,
    /// The reason's message code.
    pub reason_code: Option<String>,
    /// The reason's message arguments.
    #[schema(value_type = Option<Object>)]
    pub reason_args: Option<Value>,
    /// The last output of the failed step (at most 4 KiB; the whole output is in the job log).
    pub log_tail: Option<String>,
    /// When it was requested (RFC 3339).
    pub requested_at: String,
    /// When its last fact was recorded (RFC 3339).
    pub updated_at: String,
    /// When it succeeded or failed (RFC 3339).
    pub finished_at: Option<String>,
    /// The reason as data, for the pages, which show it in the reader's language.
    #[serde(skip)]
    pub reason_message: Option<Message>,
}

const DEPLOYMENT_COLUMNS: &str = "deployment_id, site_id, host, status, trigger_kind, trigger, requested_commit, \
                                  fetched_commit, release_id, built_at, colour, failed_step, reason, log_tail, \
                                  requested_at, updated_at, finished_at, job_id, \
                                  (SELECT j.state FROM jobs j WHERE j.job_id = deployments.job_id) AS job_state, \
                                  (SELECT j.last_error FROM jobs j WHERE j.job_id = deployments.job_id) AS job_error";

impl DeploymentView {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let trigger: String = row.try_get(5)?;
        let mut status: String = row.try_get(3)?;
        let mut reason = row.try_get::<Option<String>, _>(12)?.map(|text| message_from(&text));
        let job_state: Option<String> = row.try_get(18)?;
        if !matches!(status.as_str(), "succeeded" | "failed")
            && matches!(job_state.as_deref(), Some("dead" | "dispatch_failed"))
        {
            status = "failed".to_owned();
            reason = row.try_get::<Option<String>, _>(19)?.map(|text| message_from(&text));
        }
        let (reason_text, reason_code, reason_args) = said(reason.as_ref());
        Ok(Self {
            id: row.try_get(0)?,
            site_id: row.try_get(1)?,
            host: row.try_get(2)?,
            status,
            trigger_kind: row.try_get(4)?,
            trigger: serde_json::from_str(&trigger).unwrap_or(Value::Null),
            requested_commit: row.try_get(6)?,
            commit: row.try_get(7)?,
            release_id: row.try_get(8)?,
            built_at: time(row.try_get(9)?),
            colour: row.try_get(10)?,
            failed_step: row.try_get(11)?,
            reason: reason_text,
            reason_code,
            reason_args,
            log_tail: row.try_get(13)?,
            requested_at: time(row.try_get(14)?).unwrap_or_default(),
            updated_at: time(row.try_get(15)?).unwrap_or_default(),
            finished_at: time(row.try_get(16)?),
            job_id: row.try_get(17)?,
            reason_message: reason,
        })
    }
}

/// A site's deployments, newest first, at most `limit` (also those of a deleted site).
pub async fn site_deployments(pool: &AnyPool, site_id: Uuid, limit: i64) -> Result<Vec<DeploymentView>, sqlx::Error> {
    let sql = format!(
        "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE site_id = $1 \
         ORDER BY requested_at DESC, deployment_id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(site_id.to_string()).bind(limit).fetch_all(pool).await?;
    rows.iter().map(DeploymentView::from_row).collect()
}

/// The last deployment of every live site, by site id, in one query (the sites page's column).
pub async fn last_deployments(pool: &AnyPool) -> Result<HashMap<String, DeploymentView>, sqlx::Error> {
    let sql = format!(
        "SELECT {DEPLOYMENT_COLUMNS} FROM deployments \
         WHERE deployment_id IN (SELECT last_deployment_id FROM sites WHERE last_deployment_id IS NOT NULL)"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
    rows.iter().map(|row| DeploymentView::from_row(row).map(|d| (d.site_id.clone(), d))).collect()
}

/// One deployment.
pub async fn deployment(pool: &AnyPool, id: Uuid) -> Result<Option<DeploymentView>, sqlx::Error> {
    let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE deployment_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(DeploymentView::from_row).transpose()
}

/// A release of a site: what a deployment built, which a rollback can serve again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    /// Its id (the name of its folder).
    pub release_id: String,
    /// The commit it was built from.
    pub commit: Option<String>,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// The deployment that built it.
    pub deployment_id: String,
    /// What asked for that deployment: `push`, `manual` or `follow_up`.
    pub trigger_kind: String,
    /// Whether it serves now.
    pub live: bool,
}

/// The releases a site's deployments built, newest first (the log does not say which ones the worker removed).
pub async fn releases(pool: &AnyPool, site_id: Uuid) -> Result<Vec<ReleaseView>, sqlx::Error> {
    let sql = "SELECT d.release_id, d.fetched_commit, d.built_at, d.deployment_id, d.trigger_kind, s.live_release_id \
               FROM deployments d LEFT JOIN sites s ON s.site_id = d.site_id \
               WHERE d.site_id = $1 AND d.built_at IS NOT NULL AND d.release_id IS NOT NULL \
               ORDER BY d.built_at DESC, d.deployment_id DESC";
    let rows = sqlx::query(sql).bind(site_id.to_string()).fetch_all(pool).await?;
    let mut releases: Vec<ReleaseView> = Vec::with_capacity(rows.len());
    for row in &rows {
        let release_id: String = row.try_get(0)?;
        if releases.iter().all(|r| r.release_id != release_id) {
            releases.push(ReleaseView {
                live: row.try_get::<Option<String>, _>(5)?.as_deref() == Some(release_id.as_str()),
                release_id,
                commit: row.try_get(1)?,
                built_at: time(row.try_get(2)?).unwrap_or_default(),
                deployment_id: row.try_get(3)?,
                trigger_kind: row.try_get(4)?,
            });
        }
    }
    Ok(releases)
}

/// The site's newest deployment that has not ended, with its commit when known (fetched, or asked for).
pub async fn active_deployment(pool: &AnyPool, site_id: Uuid) -> Result<Option<(Uuid, Option<String>)>, sqlx::Error> {
    let sql = "SELECT deployment_id, fetched_commit, requested_commit FROM deployments \
               WHERE site_id = $1 AND status NOT IN ('succeeded', 'failed') \
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = deployments.job_id \
                               AND j.state IN ('dead', 'dispatch_failed')) \
               ORDER BY requested_at DESC, deployment_id DESC LIMIT 1";
    let Some(row) = sqlx::query(sql).bind(site_id.to_string()).fetch_optional(pool).await? else { return Ok(None) };
    let id = Uuid::parse_str(&row.try_get::<String, _>(0)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some((id, row.try_get::<Option<String>, _>(1)?.or(row.try_get(2)?))))
}

/// Waits until the read model shows site `id` at stream version `version` or later (created, or changed).
pub async fn wait_site(pool: &AnyPool, id: Uuid, version: i64) -> bool {
    wait_count(pool, "SELECT COUNT(*) FROM sites WHERE site_id = $1 AND stream_version >= $2", id, version, 1).await
}

/// Waits until the read model no longer shows site `id` (deleted).
pub async fn wait_site_deleted(pool: &AnyPool, id: Uuid) -> bool {
    wait_count(pool, "SELECT COUNT(*) FROM sites WHERE site_id = $1 AND stream_version >= $2", id, 0, 0).await
}

/// Waits until the read model shows deployment `id` (requested).
pub async fn wait_deployment(pool: &AnyPool, id: Uuid) -> bool {
    let sql = "SELECT COUNT(*) FROM deployments WHERE deployment_id = $1 AND stream_version >= $2";
    wait_count(pool, sql, id, 1, 1).await
}

/// Waits until `sql`, a count of the rows of `id` (`$1`) at `version` (`$2`) or later, gives `want`.
async fn wait_count(pool: &AnyPool, sql: &'static str, id: Uuid, version: i64, want: i64) -> bool {
    crate::projections::settle(|| async {
        let count = sqlx::query_scalar::<_, i64>(sql).bind(id.to_string()).bind(version).fetch_one(pool).await;
        count.is_ok_and(|n| n == want)
    })
    .await
}
