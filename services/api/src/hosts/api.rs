//! `GET /api/v1/hosts`: every host with its state and last heartbeat.

use axum::{Json, extract::State};
use serde::Serialize;

use super::read;
use crate::{http::error::ApiError, state::AppState};

/// `{"hosts": […]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HostList {
    /// Every host: the panel's own first, then by name.
    pub hosts: Vec<read::HostView>,
}

/// `GET /api/v1/hosts`.
#[utoipa::path(get, path = "/api/v1/hosts", tag = "deployments", security(("bearer" = [])),
    responses((status = 200, description = "Every host with its state (`online`, `offline`, `stopped`, \
        `unregistered`), its worker's last heartbeat, its labels and runtimes", body = HostList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<HostList>, ApiError> {
    let hosts = read::list(&state.db.read_models, &state.config.deployments.host).await?;
    Ok(Json(HostList { hosts }))
}
