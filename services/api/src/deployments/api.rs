//! The deployments API: sites (create, list, show, change, delete, a new webhook secret), deployments asked for
//! by hand and rollbacks, and what a site has deployed. Requests for work answer 202 with the deployment's and
//! the job's ids; the deploy worker of the site's host does the work and records each step.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use lawha_domain::deployments::Trigger;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DeployError, SiteInput, commands, read};
use crate::{
    http::{
        context::RequestContext,
        error::ApiError,
        input::{JsonBody, OptionalJsonBody},
    },
    state::AppState,
    users::api::account::no_store,
};

fn site_id(text: &str) -> Result<Uuid, DeployError> {
    Uuid::parse_str(text).map_err(|_| DeployError::site_missing(&text))
}

/// The URL GitHub is to post to, from the request's own host (and `X-Forwarded-Proto` for the scheme).
pub(crate) fn webhook_url(headers: &HeaderMap, site_id: Uuid) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}/webhooks/github/{site_id}", if https { "https" } else { "http" })
}

/// A created site: its id, and the webhook's URL and secret (shown this once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteCreated {
    /// The site's id.
    pub id: Uuid,
    /// Where GitHub posts (content type `application/json`, events `push`).
    pub webhook_url: String,
    /// The webhook's secret, shown this once; only its sealed form is kept.
    pub webhook_secret: String,
}

/// `POST /api/v1/sites`.
#[utoipa::path(post, path = "/api/v1/sites", tag = "deployments", request_body = SiteInput,
    responses((status = 201, description = "`SiteCreated` is recorded; the secret is shown this once", body = SiteCreated),
              (status = 422, description = "Every problem, each under `details.fields.<field>`", body = crate::http::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    headers: HeaderMap,
    JsonBody(input): JsonBody<SiteInput>,
) -> Result<impl IntoResponse, ApiError> {
    let seal = commands::seal_key(state.config.secret_key_bytes());
    let created =
        commands::create_site(&state.db, &seal, &state.config.deployments.host, input, &context.metadata()).await?;
    read::wait_site(&state.db.read_models, created.site_id, 1).await;
    let body = SiteCreated {
        id: created.site_id,
        webhook_url: webhook_url(&headers, created.site_id),
        webhook_secret: created.webhook_secret,
    };
    Ok(no_store((StatusCode::CREATED, Json(body))))
}

/// `{"sites": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteList {
    /// Every site, by name.
    pub sites: Vec<read::SiteView>,
}

/// `GET /api/v1/sites`.
#[utoipa::path(get, path = "/api/v1/sites", tag = "deployments", security(("bearer" = [])),
    responses((status = 200, description = "Every site, by name", body = SiteList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<SiteList>, ApiError> {
    Ok(Json(SiteList { sites: read::list_sites(&state.db.read_models).await? }))
}

/// A site with its last 20 deployments and its releases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SiteDetail {
    /// The site.
    #[serde(flatten)]
    pub site: read::SiteView,
    /// Its last 20 deployments, newest first.
    pub deployments: Vec<read::DeploymentView>,
    /// Its releases on disk, newest first.
    pub releases: Vec<read::ReleaseView>,
}

/// `GET /api/v1/sites/{id}`.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 200, description = "The site, its last deployments and its releases", body = SiteDetail),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody)))]
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<SiteDetail>, ApiError> {
    let site_id = site_id(&id)?;
    let pool = &state.db.read_models;
    let site = read::site(pool, site_id).await?.ok_or_else(|| DeployError::site_missing(&site_id))?;
    let deployments = read::site_deployments(pool, site_id, 20).await?;
    let releases = read::releases(pool, site_id).await?;
    Ok(Json(SiteDetail { site, deployments, releases }))
}

/// `PUT /api/v1/sites/{id}`: the whole site again (a `null` environment value, or no `deploy_key`, keeps the
/// stored one).
#[utoipa::path(put, path = "/api/v1/sites/{id}", tag = "deployments", request_body = SiteInput,
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 204, description = "Changed (or unchanged)"),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody),
              (status = 422, description = "Every problem, each under `details.fields.<field>`", body = crate::http::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<SiteInput>,
) -> Result<StatusCode, ApiError> {
    let site_id = site_id(&id)?;
    let seal = commands::seal_key(state.config.secret_key_bytes());
    let pool = &state.db.read_models;
    let before = read::site(pool, site_id).await?.map(|s| s.updated_at);
    commands::update_site(&state.db, &seal, &state.config.deployments.host, site_id, input, &context.metadata())
        .await?;
    crate::projections::settle(|| async {
        read::site(pool, site_id).await.ok().flatten().map(|s| s.updated_at) != before
    })
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/sites/{id}`: its deployments stay in the log.
#[utoipa::path(delete, path = "/api/v1/sites/{id}", tag = "deployments",
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let site_id = site_id(&id)?;
    commands::delete_site(&state.db, site_id, &context.metadata()).await?;
    read::wait_site_deleted(&state.db.read_models, site_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"webhook_secret"}`, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretRotated {
    /// The new secret; the old one no longer verifies.
    pub webhook_secret: String,
}

/// `POST /api/v1/sites/{id}/webhook-secret`: a new webhook secret.
#[utoipa::path(post, path = "/api/v1/sites/{id}/webhook-secret", tag = "deployments",
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 200, description = "The new secret, shown this once", body = SecretRotated),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let site_id = site_id(&id)?;
    let seal = commands::seal_key(state.config.secret_key_bytes());
    let webhook_secret = commands::rotate_webhook_secret(&state.db, &seal, site_id, &context.metadata()).await?;
    Ok(no_store(Json(SecretRotated { webhook_secret })))
}

/// A deployment by hand: a commit, or the branch's head.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    /// A full 40-digit commit SHA; absent or null for the branch's head.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{40}$")]
    pub commit: Option<String>,
}

/// `{"deployment_id", "job_id"}` of a requested deployment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeployAccepted {
    /// The deployment; follow it at `GET /api/v1/deployments/{id}`.
    pub deployment_id: Uuid,
    /// The job that runs it.
    pub job_id: Uuid,
}

/// `POST /api/v1/sites/{id}/deploy`.
#[utoipa::path(post, path = "/api/v1/sites/{id}/deploy", tag = "deployments", request_body = Option<DeployBody>, security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 202, description = "`DeploymentRequested` is recorded; it starts once the site's running deployment, if any, has ended", body = DeployAccepted),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody),
              (status = 422, description = "Not a full commit SHA", body = crate::http::error::ErrorBody)))]
pub async fn deploy(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<DeployBody>,
) -> Result<(StatusCode, Json<DeployAccepted>), ApiError> {
    let site_id = site_id(&id)?;
    let metadata = context.metadata();
    let trigger = Trigger::Manual { actor: metadata.actor.clone().unwrap_or_default() };
    let requested =
        commands::request_deploy(&state.db, site_id, Uuid::now_v7(), body.commit, trigger, &metadata).await?;
    Ok(accepted(requested))
}

fn accepted(requested: commands::Requested) -> (StatusCode, Json<DeployAccepted>) {
    let body = DeployAccepted { deployment_id: requested.deployment_id, job_id: requested.job_id };
    (StatusCode::ACCEPTED, Json(body))
}

/// A rollback: the release to serve again.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    /// One of the site's releases (`GET /api/v1/sites/{id}/releases`).
    pub release_id: Uuid,
}

/// `POST /api/v1/sites/{id}/rollback`: serves an earlier release again, through the same health gate.
#[utoipa::path(post, path = "/api/v1/sites/{id}/rollback", tag = "deployments", request_body = RollbackBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 202, description = "`DeploymentRequested` (trigger `rollback`) is recorded", body = DeployAccepted),
              (status = 404, description = "No such site or release", body = crate::http::error::ErrorBody)))]
pub async fn rollback(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RollbackBody>,
) -> Result<(StatusCode, Json<DeployAccepted>), ApiError> {
    let site_id = site_id(&id)?;
    let requested = commands::request_rollback(&state.db, site_id, body.release_id, &context.metadata()).await?;
    Ok(accepted(requested))
}

/// `{"deployments": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeploymentList {
    /// The site's last 100 deployments, newest first.
    pub deployments: Vec<read::DeploymentView>,
}

/// `GET /api/v1/sites/{id}/deployments`.
#[utoipa::path(get, path = "/api/v1/sites/{id}/deployments", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 200, description = "The last 100, newest first", body = DeploymentList),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody)))]
pub async fn deployments(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeploymentList>, ApiError> {
    let site_id = site_id(&id)?;
    let pool = &state.db.read_models;
    read::site(pool, site_id).await?.ok_or_else(|| DeployError::site_missing(&site_id))?;
    Ok(Json(DeploymentList { deployments: read::site_deployments(pool, site_id, 100).await? }))
}

/// `{"releases": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseList {
    /// The site's releases on disk, newest first.
    pub releases: Vec<read::ReleaseView>,
}

/// `GET /api/v1/sites/{id}/releases`.
#[utoipa::path(get, path = "/api/v1/sites/{id}/releases", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id")),
    responses((status = 200, description = "Newest first; `live` marks the one serving", body = ReleaseList),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody)))]
pub async fn releases(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ReleaseList>, ApiError> {
    let site_id = site_id(&id)?;
    let pool = &state.db.read_models;
    read::site(pool, site_id).await?.ok_or_else(|| DeployError::site_missing(&site_id))?;
    Ok(Json(ReleaseList { releases: read::releases(pool, site_id).await? }))
}

/// `GET /api/v1/deployments/{id}`.
#[utoipa::path(get, path = "/api/v1/deployments/{id}", tag = "deployments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The deployment's id")),
    responses((status = 200, description = "Its status, commit, trigger, steps and error", body = read::DeploymentView),
              (status = 404, description = "No such deployment", body = crate::http::error::ErrorBody)))]
pub async fn deployment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<read::DeploymentView>, ApiError> {
    let missing = || DeployError::DeploymentMissing(crate::http::input::shown(&id));
    let deployment_id = Uuid::parse_str(&id).map_err(|_| missing())?;
    Ok(Json(read::deployment(&state.db.read_models, deployment_id).await?.ok_or_else(missing)?))
}
