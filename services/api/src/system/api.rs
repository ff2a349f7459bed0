//! `GET /api/v1/system` (viewer): the host monitor's current sample and last hour, as the dashboard shows them.

use axum::{Json, extract::State};
use serde::Serialize;

use crate::{
    state::AppState,
    system::{SAMPLE_INTERVAL, Sample},
};

/// The host now and over the last hour.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SystemReport {
    /// The newest sample; null only on a platform whose figures cannot be read.
    pub current: Option<Sample>,
    /// Up to an hour of samples, oldest first (the newest is `current`).
    pub history: Vec<Sample>,
    /// Seconds between samples.
    pub sample_interval_secs: u64,
    /// The mount point of the filesystem the disk figures describe (the one holding `data_dir`).
    pub disk_mount: Option<String>,
}

/// `GET /api/v1/system`.
#[utoipa::path(get, path = "/api/v1/system", tag = "system", security(("bearer" = [])),
    responses(
        (status = 200, description = "The current sample and the last hour, oldest first", body = SystemReport),
        (status = 401, description = "No valid token", body = crate::http::error::ErrorBody),
        (status = 403, description = "The token's level is below viewer", body = crate::http::error::ErrorBody),
    ))]
pub async fn report(State(state): State<AppState>) -> Json<SystemReport> {
    let snapshot = state.system.snapshot();
    Json(SystemReport {
        current: snapshot.current().cloned(),
        history: snapshot.samples.clone(),
        sample_interval_secs: SAMPLE_INTERVAL.as_secs(),
        disk_mount: snapshot.disk_mount.as_ref().map(|mount| mount.display().to_string()),
    })
}
