//! The certificates API: ask for a certificate (its first order is queued at once), list and show them, renew one
//! now, delete one. Requests for work answer 202 with the certificate's and the job's ids; the cert worker of the
//! certificate's host orders, installs and records each step. Also the HTTP-01 answers the panel serves itself
//! from the challenge webroot (`/.well-known/acme-challenge/{token}`), for a panel on the certificate's host.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CertError, CertificateInput, commands, read};
use crate::{
    http::{
        context::RequestContext,
        error::ApiError,
        input::{JsonBody, OptionalJsonBody},
    },
    state::AppState,
};

fn certificate_id(text: &str) -> Result<Uuid, CertError> {
    Uuid::parse_str(text).map_err(|_| CertError::missing(&text))
}

/// `{"id", "job_id"}` of a certificate order asked for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderAccepted {
    /// The certificate; follow it at `GET /api/v1/certificates/{id}`.
    pub id: Uuid,
    /// The job that orders it.
    pub job_id: Uuid,
}

fn accepted(requested: commands::Requested) -> (StatusCode, Json<OrderAccepted>) {
    (StatusCode::ACCEPTED, Json(OrderAccepted { id: requested.certificate_id, job_id: requested.job_id }))
}

/// `POST /api/v1/certificates`.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "certificates", request_body = CertificateInput,
    responses((status = 202, description = "`CertificateRequested` is recorded and its first order queued on its host's cert worker", body = OrderAccepted),
              (status = 422, description = "Every problem, each under `details.fields.<field>` (`names[1]`, `dns_hook`, `directory`, `host`…)", body = crate::http::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    JsonBody(input): JsonBody<CertificateInput>,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let requested = commands::request(&state.db, &state.config.deployments.host, input, &context.metadata()).await?;
    read::wait(&state.db.read_models, requested.certificate_id, 1).await;
    Ok(accepted(requested))
}

/// `{"certificates": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateList {
    /// Every certificate not deleted, soonest expiry first.
    pub certificates: Vec<read::CertificateView>,
}

/// `GET /api/v1/certificates`.
#[utoipa::path(get, path = "/api/v1/certificates", tag = "certificates", security(("bearer" = [])),
    responses((status = 200, description = "Every certificate not deleted, soonest expiry first", body = CertificateList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<CertificateList>, ApiError> {
    Ok(Json(CertificateList { certificates: read::list(&state.db.read_models).await? }))
}

/// `GET /api/v1/certificates/{id}`.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", security(("bearer" = [])),
    params(("id" = String, Path, description = "The certificate's id")),
    responses((status = 200, description = "Its status, serial, validity, issuer, fingerprint, renewal window, last attempt and error", body = read::CertificateView),
              (status = 404, description = "No such certificate", body = crate::http::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<read::CertificateView>, ApiError> {
    let id = certificate_id(&id)?;
    let found = read::one(&state.db.read_models, id).await?.filter(|c| c.status != "deleted");
    Ok(Json(found.ok_or_else(|| CertError::missing(&id))?))
}

/// A renewal asked for by hand.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewBody {
    /// Order even while an order seems under way (one that is stuck); default false, which answers 409 then.
    #[serde(default)]
    pub force: bool,
}

/// `POST /api/v1/certificates/{id}/renew`.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/renew", tag = "certificates", request_body = Option<RenewBody>, security(("bearer" = [])),
    params(("id" = String, Path, description = "The certificate's id")),
    responses((status = 202, description = "`CertificateRenewalRequested` is recorded and the order queued", body = OrderAccepted),
              (status = 404, description = "No such certificate", body = crate::http::error::ErrorBody),
              (status = 409, description = "An order is under way (send `{\"force\": true}` to order anyway)", body = crate::http::error::ErrorBody)))]
pub async fn renew(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<RenewBody>,
) -> Result<(StatusCode, Json<OrderAccepted>), ApiError> {
    let id = certificate_id(&id)?;
    let pool = &state.db.read_models;
    let before = read::version(pool, id).await?;
    let requested = commands::renew(&state.db, id, body.force, &context.metadata()).await?;
    read::wait(pool, id, before + 1).await;
    Ok(accepted(requested))
}

/// `DELETE /api/v1/certificates/{id}`: no more renewals; its files stay on its host.
#[utoipa::path(delete, path = "/api/v1/certificates/{id}", tag = "certificates",
    params(("id" = String, Path, description = "The certificate's id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such certificate", body = crate::http::error::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    context: RequestContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = certificate_id(&id)?;
    let pool = &state.db.read_models;
    let before = read::version(pool, id).await?;
    commands::delete(&state.db, id, &context.metadata()).await?;
    read::wait(pool, id, before + 1).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether `token` is an ACME token: base64url characters only (RFC 8555 §8.1), so it never names another file.
fn is_token(token: &str) -> bool {
    (1..=256).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /.well-known/acme-challenge/{token}`: the key authorization the cert worker wrote for `token`, as nginx
/// serves it on a host; 404 for any other name.
pub async fn challenge(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if !is_token(&token) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = state.config.certificates.webroot.join(".well-known/acme-challenge").join(&token);
    match tokio::fs::read(&path).await {
        Ok(body) if body.len() <= 4096 => {
            ([(header::CONTENT_TYPE, "text/plain"), (header::CACHE_CONTROL, "no-store")], body).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
