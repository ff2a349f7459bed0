//! The backups pages (they work without JavaScript): the plans with their last run, one plan with its runs and
//! the actions on it (Run now for operators; edit and delete for admins). The plan form is in `form.rs`, a
//! run's page in `run.rs`.

pub mod form;
pub mod run;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use uuid::Uuid;

use crate::{
    backups::{
        self,
        read::{self, PlanView, RunView},
    },
    state::AppState,
    ui::{ErrorPage, Page, Section, units::format_bytes},
};
use crate::{
    http::{auth::Principal, context::RequestContext, error::ApiError},
    ui::{
        kit::{Alerts, Done, Refused, say, when},
        request::{PageRequest, signed_in_nav},
    },
};

/// How many runs the plan page lists.
const RUNS_SHOWN: i64 = 50;

/// A page of the backups section, with its navigation and user.
pub(crate) async fn section_page(request: &PageRequest, principal: &Principal, title: &str) -> Result<Page, ApiError> {
    let (page, _) = request.page(title).await?;
    let nav = signed_in_nav(page.lang, &request.prefix, Section::Backups, principal);
    Ok(page.with_nav(nav).with_user(principal.user.clone()))
}

/// A plan as the pages show it.
#[derive(Debug)]
pub struct PlanRow {
    /// Its id, which links carry.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The source's kind (`directory`…), for `data-kind`.
    pub kind: String,
    /// The source's kind in words.
    pub kind_label: String,
    /// The folder, file or URL (its password as `***`).
    pub location: String,
    /// Where archives go.
    pub destination: String,
    /// The schedule in words: the cron expression and zone, or "by hand".
    pub schedule: String,
    /// What retention keeps, in words.
    pub retention: String,
    /// The zstd level.
    pub level: i64,
    /// The age recipient, when archives are encrypted.
    pub recipient: Option<String>,
    /// The newest run, if any.
    pub last: Option<RunRow>,
}

impl PlanRow {
    pub(crate) fn new(page: &Page, plan: PlanView, last: Option<RunView>) -> Self {
        let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let kind = text(&plan.source, "kind");
        let location =
            if kind == "postgres" || kind == "mysql" { text(&plan.source, "url") } else { text(&plan.source, "path") };
        let schedule = match &plan.schedule {
            Some(cron) => page.t_with("backup-schedule-cron", "cron", &format!("{cron} ({})", plan.timezone)),
            None => page.t("backup-schedule-none"),
        };
        let number = |key: &str| plan.retention.get(key).and_then(serde_json::Value::as_u64);
        let mut kept = Vec::new();
        if let Some(n) = number("keep_last") {
            kept.push(page.t_num("backup-keep-last", "count", i64::try_from(n).unwrap_or(i64::MAX)));
        }
        if let Some(n) = number("keep_days") {
            kept.push(page.t_num("backup-keep-days", "days", i64::try_from(n).unwrap_or(i64::MAX)));
        }
        if let Some(n) = number("max_total_bytes") {
            kept.push(page.t_with("backup-keep-bytes", "size", &format_bytes(page.lang, n)));
        }
        let retention = if kept.is_empty() { page.t("backup-keep-all") } else { kept.join(" · ") };
        Self {
            kind_label: page.t(&format!("backup-kind-{kind}")),
            destination: text(&plan.destination, "path"),
            recipient: plan.encryption.as_ref().map(|e| text(e, "recipient")),
            last: last.map(|run| RunRow::new(page, run)),
            id: plan.id,
            name: plan.name,
            level: plan.compression_level,
            kind,
            location,
            schedule,
            retention,
        }
    }
}

/// A run as the tables show it.
#[derive(Debug)]
pub struct RunRow {
    /// Its id.
    pub id: String,
    /// `requested` … `failed`, for `data-status`.
    pub status: String,
    /// The status in words.
    pub status_label: String,
    /// `manual` or `schedule`, in words.
    pub trigger: String,
    /// When it was requested and finished, localized.
    pub requested: String,
    /// See `requested`.
    pub finished: String,
    /// The stored size, in words, once known.
    pub size: String,
    /// The reason of a failure.
    pub error: Option<String>,
    /// Whether retention removed its archive.
    pub pruned: bool,
}

impl RunRow {
    pub(crate) fn new(page: &Page, run: RunView) -> Self {
        Self {
            status_label: page.t(&format!("backup-status-{}", run.status)),
            trigger: page.t(&format!("backup-trigger-{}", run.trigger)),
            requested: when(page.lang, Some(&run.requested_at)),
            finished: when(page.lang, run.finished_at.as_deref()),
            size: run
                .size_bytes
                .and_then(|b| u64::try_from(b).ok())
                .map_or_else(|| "—".to_owned(), |b| format_bytes(page.lang, b)),
            pruned: run.pruned.is_some(),
            error: run.messages.error.as_ref().map(|m| say(page.lang, m)),
            id: run.id,
            status: run.status,
        }
    }
}

/// The plans page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "backups.html")]
pub struct PlansPage {
    /// Shared part.
    pub page: Page,
    /// The plans, by name.
    pub plans: Vec<PlanRow>,
    /// Whether the New plan link is shown (admins).
    pub can_edit: bool,
    /// What was just done.
    pub alerts: Alerts,
}

/// `GET /backups` (viewer).
pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "backups-title").await?;
    let pool = &state.db.read_models;
    let mut plans = Vec::new();
    for plan in read::plans(pool).await? {
        let id = Uuid::parse_str(&plan.id).unwrap_or_default();
        let last = read::runs(pool, id, 1).await?.into_iter().next();
        plans.push(PlanRow::new(&page, plan, last));
    }
    let alerts = Alerts::notice(done.notice(&page, "backup-done", &["deleted"]));
    Ok(PlansPage { can_edit: principal.level >= Role::Admin, page, plans, alerts }.into_response())
}

/// The plan page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "backup_plan.html")]
pub struct PlanPage {
    /// Shared part.
    pub page: Page,
    /// The plan.
    pub plan: PlanRow,
    /// Its runs, newest first.
    pub runs: Vec<RunRow>,
    /// Whether Run now is shown (operators).
    pub can_run: bool,
    /// Whether edit and delete are shown (admins).
    pub can_edit: bool,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
}

/// A plan's id from a path segment; `None` when it is not a UUID (the page answers 404).
pub(crate) fn uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// The live plan a path segment names: None when it is no UUID or no such plan (the pages answer 404).
pub(crate) async fn plan_named(state: &AppState, id: &str) -> Result<Option<PlanView>, ApiError> {
    let Some(id) = uuid(id) else { return Ok(None) };
    Ok(read::plan(&state.db.read_models, id).await?)
}

/// The run a path segment names, as [`plan_named`].
pub(crate) async fn run_named(state: &AppState, id: &str) -> Result<Option<RunView>, ApiError> {
    let Some(id) = uuid(id) else { return Ok(None) };
    Ok(read::run(&state.db.read_models, id).await?)
}

/// `GET /backups/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "backup-plan-title").await?;
    let alerts = Alerts::notice(done.notice(&page, "backup-done", &["created", "updated"]));
    render_plan(&state, page, &principal, &id, StatusCode::OK, alerts).await
}

async fn render_plan(
    state: &AppState,
    page: Page,
    principal: &Principal,
    id: &str,
    status: StatusCode,
    alerts: Alerts,
) -> Result<Response, ApiError> {
    let pool = &state.db.read_models;
    let Some(plan) = plan_named(state, id).await? else {
        return Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response());
    };
    let plan_id = uuid(&plan.id).unwrap_or_default();
    let runs = read::runs(pool, plan_id, RUNS_SHOWN).await?;
    let runs: Vec<RunRow> = runs.into_iter().map(|run| RunRow::new(&page, run)).collect();
    let plan = PlanRow::new(&page, plan, None);
    let (can_run, can_edit) = (principal.level >= Role::Operator, principal.level >= Role::Admin);
    Ok((status, PlanPage { page, plan, runs, can_run, can_edit, alerts }).into_response())
}

/// `POST /backups/{id}/run` (operator): asks for a run, then shows the run's page once the read model has it.
pub async fn run(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(plan_id) = uuid(&id) else { return not_found(&request, &principal).await };
    match backups::request_run(&state.db, plan_id, &context.metadata()).await.map_err(ApiError::from) {
        Ok(requested) => {
            let pool = &state.db.read_models;
            crate::projections::settle(|| async { read::run(pool, requested.run_id).await.ok().flatten().is_some() })
                .await;
            Ok(request.prefix.redirect(&format!("/backups/runs/{}", requested.run_id)).into_response())
        }
        Err(e) => refused(&state, &request, &principal, &id, e).await,
    }
}

/// `POST /backups/{id}/delete` (admin): the plan stops; its archives stay on disk.
pub async fn delete(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(plan_id) = uuid(&id) else { return not_found(&request, &principal).await };
    match backups::delete_plan(&state.db, plan_id, &context.metadata()).await.map_err(ApiError::from) {
        Ok(()) => {
            let pool = &state.db.read_models;
            crate::projections::settle(|| async { read::plan(pool, plan_id).await.is_ok_and(|p| p.is_none()) }).await;
            Ok(request.prefix.redirect("/backups?done=deleted").into_response())
        }
        Err(e) => refused(&state, &request, &principal, &id, e).await,
    }
}

/// The plan page again with the refusal's message (a 404 page when the plan is gone); a server error stays one.
async fn refused(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    id: &str,
    e: ApiError,
) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "backup-plan-title").await?;
    let refused = Refused::of(page.lang, e)?;
    render_plan(state, page, principal, id, refused.status, Alerts::error(refused.text)).await
}

/// The 404 page of the section.
pub(crate) async fn not_found(request: &PageRequest, principal: &Principal) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "backups-title").await?;
    Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response())
}
