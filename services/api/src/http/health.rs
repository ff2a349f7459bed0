//! Health endpoints for load balancers, orchestrators and Prometheus. They stay at fixed paths whatever
//! else is configured, and answer without authentication.

use std::time::Duration;

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use crate::{
    http::error::{ApiError, HttpRefusal},
    state::AppState,
};

/// How long readiness waits for the database before calling it down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health/live`: 200 while the process runs.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process runs", body = Object, example = json!({"status": "live"}))))]
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

/// `GET /health/ready`: 200 only when the database answers and its schema is current; else 503 naming each
/// failing check in `details.checks`.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "The database answers and the schema is current", body = Object),
    (status = 503, description = "A check fails; `details.checks` names each", body = super::error::ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let mut checks = Map::new();
    let mut failing = Vec::new();
    let database = tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await;
    let database = match database {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    };
    let migrations = match &database {
        Err(_) => Err("not checked: the database is unreachable".to_owned()),
        Ok(()) => match tokio::time::timeout(CHECK_TIMEOUT, state.db.migration_status()).await {
            Ok(Ok(status)) if status.is_current() => Ok(()),
            Ok(Ok(status)) => Err(format!(
                "pending migrations {:?}, failed migrations {:?}; run `lawha migrate`",
                status.pending, status.failed
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
        },
    };
    for (name, result) in [("database", database), ("migrations", migrations)] {
        let entry = match result {
            Ok(()) => json!({ "status": "ok" }),
            Err(error) => {
                failing.push(name);
                json!({ "status": "failing", "error": error })
            }
        };
        checks.insert(name.to_owned(), entry);
    }
    if failing.is_empty() {
        return Json(json!({ "status": "ready", "checks": checks })).into_response();
    }
    ApiError::from(HttpRefusal::NotReady { failing, checks: Value::Object(checks) }).into_response()
}

/// `GET /health/metrics`: Prometheus text format.
#[utoipa::path(get, path = "/health/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], lawha_telemetry::render_metrics())
        .into_response()
}
