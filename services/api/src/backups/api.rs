//! The backups API: plans (create, list, show, change, delete), runs by hand, a run's status, and the
//! verification and restore of a finished run. Requests for work answer 202 with the job's id; the backup
//! worker does the work and records it on the run's stream.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use lawha_backup::paths::{PathPolicy, PathUse};
use lawha_domain::backups::RestoreTarget;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::{
    context::RequestContext,
    error::ApiError,
    input::{JsonBody, OptionalJsonBody},
};
use crate::{
    backups::{self, BackupCommandError, PlanInput, input, read},
    state::AppState,
};

fn plan_id(text: &str) -> Result<Uuid, BackupCommandError> {
    Uuid::parse_str(text).map_err(|_| BackupCommandError::NotAnId("plan", text.to_owned()))
}

fn run_id(text: &str) -> Result<Uuid, BackupCommandError> {
    Uuid::parse_str(text).map_err(|_| BackupCommandError::NotAnId("run", text.to_owned()))
}

/// A plan with its last 50 runs, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    /// The plan.
    #[serde(flatten)]
    pub plan: read::PlanView,
    /// Its runs, newest first.
    pub runs: Vec<read::RunView>,
}

/// `{"plans": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanList {
    /// The live plans by name.
    pub plans: Vec<read::PlanView>,
}

/// `{"id"}` of a created plan.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The new plan's id.
    pub id: Uuid,
}

/// `POST /api/v1/backup-plans`.
#[utoipa::path(post, path = "/api/v1/backup-plans", tag = "backups",
    request_body = PlanInput,
    responses(
        (status = 201, description = "`BackupPlanCreated` is recorded", body = Created),
        (status = 422, description = "Every problem, each under `details.fields.<field>`", body = crate::http::error::ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    JsonBody(input): JsonBody<PlanInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    let plan_id = backups::create_plan(&state.db, &seal, &policy, input, &context.metadata()).await?;
    settle_plan(&state, plan_id).await;
    Ok((StatusCode::CREATED, Json(Created { id: plan_id })))
}

/// Waits briefly for the read model to show a plan change, so a client's next GET sees it.
async fn settle_plan(state: &AppState, plan_id: Uuid) {
    crate::projections::settle(|| async { read::plan(&state.db.read_models, plan_id).await.ok().flatten().is_some() })
        .await;
}

/// `GET /api/v1/backup-plans`.
#[utoipa::path(get, path = "/api/v1/backup-plans", tag = "backups", security(("bearer" = [])),
    responses((status = 200, description = "The live plans by name", body = PlanList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<PlanList>, ApiError> {
    Ok(Json(PlanList { plans: read::plans(&state.db.read_models).await? }))
}

/// `GET /api/v1/backup-plans/{id}`: the plan and its last 50 runs.
#[utoipa::path(get, path = "/api/v1/backup-plans/{id}", tag = "backups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses((status = 200, description = "The plan and `runs`, newest first", body = PlanDetail),
              (status = 404, description = "No such plan", body = crate::http::error::ErrorBody)))]
pub async fn show(State(state): State<AppState>, Path(plan): Path<String>) -> Result<Json<PlanDetail>, ApiError> {
    let plan_id = plan_id(&plan)?;
    let pool = &state.db.read_models;
    let Some(plan) = read::plan(pool, plan_id).await? else {
        return Err(BackupCommandError::PlanMissing(plan_id).into());
    };
    let runs = read::runs(pool, plan_id, 50).await?;
    Ok(Json(PlanDetail { plan, runs }))
}

/// `PUT /api/v1/backup-plans/{id}`: the whole plan again (a URL sent back with `***` keeps its password).
#[utoipa::path(put, path = "/api/v1/backup-plans/{id}", tag = "backups",
    params(("id" = String, Path, description = "The plan's id")),
    request_body = PlanInput,
    responses((status = 204, description = "Changed (or unchanged)"),
              (status = 404, description = "No such plan", body = crate::http::error::ErrorBody),
              (status = 422, description = "Every problem, each under `details.fields.<field>`", body = crate::http::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    Path(plan): Path<String>,
    JsonBody(input): JsonBody<PlanInput>,
) -> Result<StatusCode, ApiError> {
    let plan_id = plan_id(&plan)?;
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    backups::update_plan(&state.db, &seal, &policy, plan_id, input, &context.metadata()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/backup-plans/{id}`: the plan stops; its archives stay on disk.
#[utoipa::path(delete, path = "/api/v1/backup-plans/{id}", tag = "backups",
    params(("id" = String, Path, description = "The plan's id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such plan", body = crate::http::error::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    context: RequestContext,
    Path(plan): Path<String>,
) -> Result<StatusCode, ApiError> {
    let plan_id = plan_id(&plan)?;
    backups::delete_plan(&state.db, plan_id, &context.metadata()).await?;
    // A client's next GET sees the plan gone.
    crate::projections::settle(|| async {
        read::plan(&state.db.read_models, plan_id).await.is_ok_and(|p| p.is_none())
    })
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"run_id", "job_id"}` of a requested run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunRequested {
    /// The run (`GET /api/v1/backup-runs/{run_id}`).
    pub run_id: Uuid,
    /// Its job (`GET /api/v1/jobs/{job_id}`).
    pub job_id: Uuid,
}

/// `POST /api/v1/backup-plans/{id}/run`.
#[utoipa::path(post, path = "/api/v1/backup-plans/{id}/run", tag = "backups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The plan's id")),
    responses((status = 202, description = "`BackupRequested` is recorded", body = RunRequested),
              (status = 404, description = "No such plan", body = crate::http::error::ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    context: RequestContext,
    Path(plan): Path<String>,
) -> Result<(StatusCode, Json<RunRequested>), ApiError> {
    let requested = backups::request_run(&state.db, plan_id(&plan)?, &context.metadata()).await?;
    Ok((StatusCode::ACCEPTED, Json(RunRequested { run_id: requested.run_id, job_id: requested.job_id })))
}

/// `GET /api/v1/backup-runs/{id}`.
#[utoipa::path(get, path = "/api/v1/backup-runs/{id}", tag = "backups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = read::RunView),
              (status = 404, description = "No such run", body = crate::http::error::ErrorBody)))]
pub async fn show_run(State(state): State<AppState>, Path(run): Path<String>) -> Result<Json<read::RunView>, ApiError> {
    let run_id = run_id(&run)?;
    match read::run(&state.db.read_models, run_id).await? {
        Some(run) => Ok(Json(run)),
        None => Err(BackupCommandError::RunMissing(run_id).into()),
    }
}

/// The optional body of a verification.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The age identity (`AGE-SECRET-KEY-1…`) of an encrypted plan; sealed before it is recorded.
    #[serde(default)]
    pub identity: Option<String>,
}

/// `{"job_id"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobAccepted {
    /// The job (`GET /api/v1/jobs/{job_id}`).
    pub job_id: Uuid,
}

/// `POST /api/v1/backup-runs/{id}/verify`.
#[utoipa::path(post, path = "/api/v1/backup-runs/{id}/verify", tag = "backups", security(("bearer" = [])),
    params(("id" = String, Path, description = "The run's id")),
    request_body(content = Option<VerifyBody>, description = "Optional; needed for an encrypted plan"),
    responses((status = 202, description = "`BackupVerifyRequested` is recorded", body = JobAccepted),
              (status = 409, description = "The run has no archive (not completed, or pruned)", body = crate::http::error::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    context: RequestContext,
    Path(run): Path<String>,
    OptionalJsonBody(request): OptionalJsonBody<VerifyBody>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let run_id = run_id(&run)?;
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let job_id =
        backups::request_verify(&state.db, &seal, run_id, request.identity.as_deref(), &context.metadata()).await?;
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id })))
}

/// The body of a restore.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// `{"path"}` (a new folder, or a SQLite file) or `{"url"}` (a database; its password is sealed).
    #[serde(deserialize_with = "crate::http::input::body::object")]
    pub target: TargetBody,
    /// Replace an existing folder (directory plans only); default false.
    #[serde(default)]
    pub overwrite: bool,
    /// The age identity of an encrypted plan.
    #[serde(default)]
    pub identity: Option<String>,
}

/// Where a restore goes: exactly one of `path` and `url`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    /// A new folder or SQLite file: an absolute path.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4096)]
    pub path: Option<String>,
    /// A database URL (`postgres://…`, `mysql://…`).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
}

/// `POST /api/v1/backup-runs/{id}/restore`.
#[utoipa::path(post, path = "/api/v1/backup-runs/{id}/restore", tag = "backups",
    params(("id" = String, Path, description = "The run's id")),
    request_body = RestoreBody,
    responses((status = 202, description = "`BackupRestoreRequested` is recorded; the worker verifies first", body = JobAccepted),
              (status = 409, description = "The run has no archive", body = crate::http::error::ErrorBody),
              (status = 422, description = "The target is missing or malformed", body = crate::http::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    context: RequestContext,
    Path(run): Path<String>,
    JsonBody(request): JsonBody<RestoreBody>,
) -> Result<(StatusCode, Json<JobAccepted>), ApiError> {
    let run_id = run_id(&run)?;
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    let target = restore_target(&seal, &policy, request.target.path, request.target.url)?;
    let job_id = backups::request_restore(
        &state.db,
        &seal,
        run_id,
        target,
        request.overwrite,
        request.identity.as_deref(),
        &context.metadata(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(JobAccepted { job_id })))
}

/// A restore's target from its `path` or `url` (the URL's password sealed), or a 422 that says what is wrong: a
/// path `policy` refuses (the panel's own files, a system folder, `..` into what does not exist), or the panel's
/// own database. The worker checks again before it writes.
pub(crate) fn restore_target(
    seal: &lawha_store::SealKey,
    policy: &PathPolicy,
    path: Option<String>,
    url: Option<String>,
) -> Result<RestoreTarget, BackupCommandError> {
    let invalid = |field, problem| BackupCommandError::InvalidTarget { field, problem };
    match (path, url) {
        (Some(path), None) if path.starts_with('/') => {
            if let Err(refused) = policy.check(std::path::Path::new(&path), PathUse::RestoreTarget) {
                return Err(invalid("target.path", refused.message()));
            }
            Ok(RestoreTarget { path: Some(path), ..RestoreTarget::default() })
        }
        (Some(_), None) => Err(invalid("target.path", lawha_domain::backups::messages::path_relative())),
        (None, Some(url)) => {
            let kind = if url.starts_with("postgres") {
                lawha_domain::backups::SourceKind::Postgres
            } else {
                lawha_domain::backups::SourceKind::Mysql
            };
            if let Some(problem) = input::check_url(kind, &url) {
                return Err(invalid("target.url", problem));
            }
            if let Err(refused) = policy.check_database_target(&url) {
                return Err(invalid("target.url", refused.message()));
            }
            let (redacted, password) = input::split_password(&url);
            Ok(RestoreTarget {
                path: None,
                url: Some(redacted),
                password_secret: password.map(|p| seal.seal(p.as_bytes())),
            })
        }
        _ => Err(BackupCommandError::InvalidTarget { field: "target", problem: super::messages::target_one_of() }),
    }
}
