//! The admin requests for work: verify the audit chain, rebuild a projection, run a probe. Each appends one
//! `…Requested` event and answers 202 with its id, which is the job's id (`GET /api/v1/jobs/{id}` follows it);
//! the dispatcher queues it and a worker does the work (invariant 2).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use uuid::Uuid;

use crate::http::{
    context::RequestContext,
    error::ApiError,
    input::{OptionalJsonBody, body::optional_object},
};
use crate::{jobs::commands, state::AppState};

/// A request for work that was recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobRequested {
    /// The id of the appended request event, which is the job's id.
    pub job_id: Uuid,
}

fn accepted(job_id: Uuid) -> (StatusCode, Json<JobRequested>) {
    (StatusCode::ACCEPTED, Json(JobRequested { job_id }))
}

/// `POST /api/v1/admin/audit-verify`.
#[utoipa::path(post, path = "/api/v1/admin/audit-verify", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 202, description = "`AuditChainVerifyRequested` is recorded; the job appends `AuditChainVerified`", body = JobRequested),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the admin level", body = crate::http::error::ErrorBody),
    ))]
pub async fn audit_verify(
    State(state): State<AppState>,
    context: RequestContext,
) -> Result<(StatusCode, Json<JobRequested>), ApiError> {
    Ok(accepted(commands::verify_audit_chain(&state.db, &context.metadata()).await?))
}

/// `POST /api/v1/admin/projections/{name}/rebuild`.
#[utoipa::path(post, path = "/api/v1/admin/projections/{name}/rebuild", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "A projection: audit_log, users or jobs")),
    responses(
        (status = 202, description = "`ProjectionRebuildRequested` is recorded", body = JobRequested),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the admin level", body = crate::http::error::ErrorBody),
        (status = 404, description = "No such projection; `details.known` lists them", body = crate::http::error::ErrorBody),
    ))]
pub async fn rebuild(
    State(state): State<AppState>,
    context: RequestContext,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<JobRequested>), ApiError> {
    Ok(accepted(commands::rebuild_projection(&state.db, &name, &context.metadata()).await?))
}

/// The body of `POST /api/v1/admin/probe`; every field is optional and unknown fields are refused. The bounds
/// are the job registry's, checked when the request is recorded.
#[derive(Debug, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeBody {
    /// Milliseconds to sleep first (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 600_000)]
    pub sleep_ms: Option<u64>,
    /// What the probe does after sleeping (default `succeed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ProbeOutcome>,
    /// The job's own limits, each optional.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_object")]
    pub limits: Option<ProbeLimits>,
}

/// What a probe does after sleeping.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    /// Succeeds.
    Succeed,
    /// Fails with a retryable error.
    Fail,
    /// Fails with an error no retry can fix.
    FailPermanently,
    /// Panics inside the worker (the runtime catches it and records a failure).
    Panic,
}

/// A probe's own limits.
#[derive(Debug, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeLimits {
    /// Attempts before the job is dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10)]
    pub max_attempts: Option<u32>,
    /// Milliseconds one attempt may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 10, maximum = 600_000)]
    pub timeout_ms: Option<u64>,
    /// Milliseconds before the first retry (then doubling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 10, maximum = 60_000)]
    pub backoff_ms: Option<u64>,
}

/// `POST /api/v1/admin/probe`: an optional JSON body, checked as the dispatcher will check it.
#[utoipa::path(post, path = "/api/v1/admin/probe", tag = "admin", security(("bearer" = [])),
    request_body(content = Option<ProbeBody>, description = "Optional; an empty body is a probe that succeeds at once"),
    responses(
        (status = 202, description = "`ProbeRequested` is recorded on a new `probe-…` stream", body = JobRequested),
        (status = 422, description = "A field is unknown or out of bounds; the message names it", body = crate::http::error::ErrorBody),
    ))]
pub async fn probe(
    State(state): State<AppState>,
    context: RequestContext,
    OptionalJsonBody(body): OptionalJsonBody<ProbeBody>,
) -> Result<(StatusCode, Json<JobRequested>), ApiError> {
    let data = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    Ok(accepted(commands::probe(&state.db, data, &context.metadata()).await?))
}
