//! The admin requests for work: verify the audit chain, rebuild a projection, run a probe. Each appends one
//! `…Requested` event and answers 202 with its id, which is the job's id (`GET /api/v1/jobs/{id}` follows it);
//! the dispatcher queues it and a worker does the work (invariant 2).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse as _, Response},
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::http::{context::RequestContext, error::ApiError};
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

/// The body of `POST /api/v1/admin/probe`, for the OpenAPI document (the handler checks the JSON itself).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProbeBody {
    /// Milliseconds to sleep first, 0 to 600000 (default 0).
    sleep_ms: Option<u64>,
    /// `succeed` (default), `fail` (retryable), `fail_permanently` or `panic`.
    outcome: Option<String>,
    /// The job's own limits: `max_attempts` 1-10, `timeout_ms` 10-600000, `backoff_ms` 10-60000.
    #[schema(value_type = Option<Object>)]
    limits: Option<Value>,
}

/// `POST /api/v1/admin/probe`: an optional JSON body, checked as the dispatcher will check it.
#[utoipa::path(post, path = "/api/v1/admin/probe", tag = "admin", security(("bearer" = [])),
    request_body(content = Option<ProbeBody>, description = "Optional; an empty body is a probe that succeeds at once"),
    responses(
        (status = 202, description = "`ProbeRequested` is recorded on a new `probe-…` stream", body = JobRequested),
        (status = 400, description = "The body is not JSON", body = crate::http::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "Below the admin level", body = crate::http::error::ErrorBody),
        (status = 413, description = "The body is over `http.body_limit_bytes`", body = crate::http::error::ErrorBody),
        (status = 422, description = "A field is unknown or out of bounds; the message names it", body = crate::http::error::ErrorBody),
    ))]
pub async fn probe(State(state): State<AppState>, context: RequestContext, body: Bytes) -> Response {
    let data = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        // A syntax error is axum's own 400, which the error layer puts in the one shape.
        match Json::<Value>::from_bytes(&body) {
            Ok(Json(data)) => data,
            Err(rejection) => return rejection.into_response(),
        }
    };
    match commands::probe(&state.db, data, &context.metadata()).await {
        Ok(job_id) => accepted(job_id).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
