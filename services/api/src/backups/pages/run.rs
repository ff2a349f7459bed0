//! A backup run's page: its status and figures (refreshed while it runs), its job's log with the progress lines
//! live, the last verification and restore, and the actions: Verify (operators), Restore and the downloads
//! (admins).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    body::Body,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use serde::Deserialize;
use uuid::Uuid;

use super::{PlanRow, RunRow, not_found, plan_named, run_named, section_page, uuid};
use crate::{
    backups::api::restore_target,
    http::{auth::Principal, context::RequestContext, error::ApiError},
    jobs::pages::LogRow,
    ui::{
        kit::{Alerts, Done, Refused, say, when},
        request::PageRequest,
    },
};
use crate::{
    backups::{self, read},
    jobs,
    state::AppState,
    ui::{Page, units::format_bytes},
};

/// The most log lines the page shows.
const LOG_LINES: i64 = 500;

/// The last verification or restore, as the page shows it.
#[derive(Debug)]
pub struct CheckView {
    /// `requested`, `ok`, `restored` or `failed`, for `data-state`.
    pub state: String,
    /// The state in words.
    pub label: String,
    /// What the worker said.
    pub message: String,
    /// Its job, for the link.
    pub job_id: String,
}

impl CheckView {
    fn new(page: &Page, value: Option<&serde_json::Value>, message: Option<&lawha_domain::Message>) -> Option<Self> {
        let value = value?;
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let state = text("state");
        Some(Self {
            label: page.t(&format!("backup-check-{state}")),
            message: message.map(|m| say(page.lang, m)).unwrap_or_default(),
            job_id: text("job_id"),
            state,
        })
    }
}

/// The run page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "backup_run.html")]
pub struct RunPage {
    /// Shared part.
    pub page: Page,
    /// The run as the tables show it.
    pub run: RunRow,
    /// Its plan.
    pub plan: PlanRow,
    /// Its job.
    pub job_id: String,
    /// The attempt last recorded.
    pub attempt: i64,
    /// When its last attempt started.
    pub started: String,
    /// Bytes read from the source, in words.
    pub source_size: String,
    /// Where the archive is.
    pub archive_path: Option<String>,
    /// SHA-256 of the stored bytes.
    pub sha256: Option<String>,
    /// Entries in the archive, in words.
    pub entries: Option<String>,
    /// What the source left out.
    pub skipped: Vec<String>,
    /// Why retention removed the archive.
    pub pruned: Option<String>,
    /// The last verification and restore.
    pub verify: Option<CheckView>,
    /// See `verify`.
    pub restore: Option<CheckView>,
    /// Whether the status refreshes by itself (the run or a check is still under way).
    pub live: bool,
    /// The last lines of the job's log.
    pub log: Vec<LogRow>,
    /// The id of the last line shown.
    pub log_after: i64,
    /// Verify is offered (an operator, and an archive to check).
    pub can_verify: bool,
    /// Restore and downloads are offered (an admin, and an archive).
    pub can_restore: bool,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
}

impl RunPage {
    /// The job whose log `job_log.html` follows.
    pub fn log_job(&self) -> &str {
        &self.job_id
    }
}

/// `GET /backups/runs/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "backup-run-title").await?;
    let alerts = Alerts::notice(done.notice(&page, "backup-done", &["verify", "restore"]));
    render(&state, page, &principal, &id, StatusCode::OK, alerts).await
}

async fn render(
    state: &AppState,
    page: Page,
    principal: &Principal,
    id: &str,
    status: StatusCode,
    alerts: Alerts,
) -> Result<Response, ApiError> {
    let pool = &state.db.read_models;
    let run = run_named(state, id).await?;
    let plan = match &run {
        Some(run) => plan_named(state, &run.plan_id).await?,
        None => None,
    };
    let (Some(run), Some(plan)) = (run, plan) else {
        return Ok(crate::ui::ErrorPage::new(page, StatusCode::NOT_FOUND).into_response());
    };
    let job_id = uuid(&run.job_id).unwrap_or_default();
    let log = jobs::read::log_tail(pool, job_id, LOG_LINES).await?;
    let verify = CheckView::new(&page, run.last_verify.as_ref(), run.messages.verify.as_ref());
    let restore = CheckView::new(&page, run.last_restore.as_ref(), run.messages.restore.as_ref());
    let has_archive = run.status == "completed" && run.pruned.is_none();
    let under_way = matches!(run.status.as_str(), "requested" | "running" | "verifying")
        || [&verify, &restore].iter().any(|c| c.as_ref().is_some_and(|c| c.state == "requested"));
    let size = |b: Option<i64>| b.and_then(|b| u64::try_from(b).ok()).map(|b| format_bytes(page.lang, b));
    Ok((
        status,
        RunPage {
            plan: PlanRow::new(&page, plan, None),
            job_id: run.job_id.clone(),
            attempt: run.attempt,
            started: when(page.lang, run.started_at.as_deref()),
            source_size: size(run.source_bytes).unwrap_or_else(|| "—".to_owned()),
            archive_path: run.archive_path.clone(),
            sha256: run.sha256.clone(),
            entries: run.entries.map(|n| page.number(n)),
            skipped: run.messages.skipped.iter().map(|m| say(page.lang, m)).collect(),
            pruned: run.messages.pruned.as_ref().map(|m| say(page.lang, m)),
            live: under_way,
            log_after: log.last().map_or(0, |l| l.id),
            log: log.into_iter().map(|l| LogRow::new(page.lang, l)).collect(),
            can_verify: has_archive && principal.level >= Role::Operator,
            can_restore: has_archive && principal.level >= Role::Admin,
            run: RunRow::new(&page, run),
            verify,
            restore,
            alerts,
            page,
        },
    )
        .into_response())
}

/// The verification form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyForm {
    /// The age identity of an encrypted plan.
    identity: String,
}

/// The restore form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RestoreForm {
    /// A new folder or SQLite file.
    target_path: String,
    /// A database URL.
    target_url: String,
    /// `on` to replace an existing folder.
    overwrite: Option<String>,
    /// The age identity of an encrypted plan.
    identity: String,
}

fn filled(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `POST /backups/runs/{id}/verify` (operator).
pub async fn verify(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<VerifyForm>,
) -> Result<Response, ApiError> {
    let Some(run_id) = uuid(&id) else { return not_found(&request, &principal).await };
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let identity = filled(&form.identity);
    let result = backups::request_verify(&state.db, &seal, run_id, identity.as_deref(), &context.metadata()).await;
    finish(&state, &request, &principal, run_id, result.map_err(ApiError::from), "verify").await
}

/// `POST /backups/runs/{id}/restore` (admin).
pub async fn restore(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<RestoreForm>,
) -> Result<Response, ApiError> {
    let Some(run_id) = uuid(&id) else { return not_found(&request, &principal).await };
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    let result = match restore_target(&seal, &policy, filled(&form.target_path), filled(&form.target_url)) {
        Ok(target) => {
            let identity = filled(&form.identity);
            let overwrite = form.overwrite.is_some();
            backups::request_restore(
                &state.db,
                &seal,
                run_id,
                target,
                overwrite,
                identity.as_deref(),
                &context.metadata(),
            )
            .await
            .map_err(ApiError::from)
        }
        Err(e) => Err(ApiError::from(e)),
    };
    finish(&state, &request, &principal, run_id, result, "restore").await
}

/// The run page with a notice once the read model shows the request; again with the refusal's message otherwise.
async fn finish(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    run_id: Uuid,
    result: Result<Uuid, ApiError>,
    done: &str,
) -> Result<Response, ApiError> {
    match result {
        Ok(job_id) => {
            let pool = &state.db.read_models;
            let key = if done == "verify" { "last_verify" } else { "last_restore" };
            let visible = || async {
                let run = read::run(pool, run_id).await.ok().flatten();
                let check = run.as_ref().map(|r| if key == "last_verify" { &r.last_verify } else { &r.last_restore });
                check.and_then(|c| c.as_ref()).and_then(|c| c.get("job_id")).and_then(|j| j.as_str())
                    == Some(job_id.to_string().as_str())
            };
            crate::projections::settle(visible).await;
            Ok(request.prefix.redirect(&format!("/backups/runs/{run_id}?done={done}")).into_response())
        }
        Err(e) => {
            let page = section_page(request, principal, "backup-run-title").await?;
            let refused = Refused::of(page.lang, e)?;
            render(state, page, principal, &run_id.to_string(), refused.status, Alerts::error(refused.text)).await
        }
    }
}

/// `?file=manifest` for the manifest; the archive otherwise.
#[derive(Debug, Deserialize)]
pub struct Which {
    #[serde(default)]
    file: Option<String>,
}

/// `GET /backups/runs/{id}/download` (admin): the archive (or `?file=manifest`) as an attachment, streamed.
pub async fn download(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(which): Query<Which>,
) -> Result<Response, ApiError> {
    let run = run_named(&state, &id).await?;
    let manifest = which.file.as_deref() == Some("manifest");
    let path = run
        .filter(|run| run.status == "completed" && run.pruned.is_none())
        .and_then(|run| if manifest { run.manifest_path } else { run.archive_path });
    let Some(path) = path else { return not_found(&request, &principal).await };
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return not_found(&request, &principal).await,
        Err(e) => return Err(ApiError::internal(&std::io::Error::other(format!("cannot open {path}: {e}")))),
    };
    let length = file.metadata().await.map_err(|e| ApiError::internal(&e))?.len();
    // Archive and manifest names are the worker's own (`<time>-<run id>.<ext>`): plain ASCII, no quotes.
    let name = std::path::Path::new(&path).file_name().and_then(|n| n.to_str()).unwrap_or("backup").to_owned();
    let content_type = if manifest { "application/json" } else { "application/octet-stream" };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}
