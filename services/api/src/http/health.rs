//! Health endpoints for load balancers, orchestrators and Prometheus. They stay at fixed paths whatever
//! else is configured, and answer without authentication.
//!
//! Readiness answers within [`READY_BUDGET`] whatever the database does: while the probe
//! ([`availability`]) finds the database unreachable it says so at once, otherwise the checks share the budget.
//! What failed is said in words of our own; the driver's text (host names, "at line 3211") goes to the log and,
//! as `detail`, to signed-in administrators only. A job queue that does not answer makes the panel degraded,
//! not unready: requests are still accepted (their jobs wait in the log, invariant 2), so the load balancer keeps
//! sending them, and the body says `"status": "degraded"` with the queue's check.

pub mod availability;
pub mod gate;

use std::time::Duration;

use axum::{
    Extension, Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use serde_json::{Map, Value, json};

pub use availability::{Availability, QueueState};

use crate::{
    http::{
        auth::Principal,
        error::{ApiError, HttpRefusal},
    },
    state::AppState,
};

/// How long readiness may take in all.
pub const READY_BUDGET: Duration = Duration::from_secs(1);

/// `GET /health/live`: 200 while the process runs.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process runs", body = Object, example = json!({"status": "live"}))))]
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

/// One check's outcome: `Err((what we say, the driver's words))`.
type Check = Result<(), (String, Option<String>)>;

/// `GET /health/ready`: 200 when the database answers and its schema is current (`status` is `degraded` when
/// the job queue does not answer: requests are accepted, jobs wait); else 503 naming each failing check in
/// `details.checks`.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "The database answers and the schema is current; `status` is `ready`, or `degraded` when the job queue does not answer (`checks.queue`)", body = Object),
    (status = 503, description = "A check fails; `details.checks` names each", body = super::error::ErrorBody)))]
pub async fn ready(State(state): State<AppState>, principal: Option<Extension<Principal>>) -> Response {
    let admin = principal.is_some_and(|Extension(p)| p.interactive && p.level >= Role::Admin);
    let (database, migrations) = database_checks(&state).await;
    let mut checks = Map::new();
    let mut failing = Vec::new();
    for (name, result) in [("database", database), ("migrations", migrations)] {
        let entry = match result {
            Ok(()) => json!({ "status": "ok" }),
            Err((error, detail)) => {
                failing.push(name);
                if let Some(detail) = &detail {
                    tracing::warn!(check = name, error = %detail, "readiness check failed");
                }
                let mut entry = json!({ "status": "failing", "error": error });
                if let Some(detail) = detail.filter(|_| admin) {
                    entry["detail"] = json!(detail);
                }
                entry
            }
        };
        checks.insert(name.to_owned(), entry);
    }
    let queue = queue_check(&state.availability.queue(), admin);
    let degraded = queue["status"] != "ok";
    checks.insert("queue".to_owned(), queue);
    if failing.is_empty() {
        let status = if degraded { "degraded" } else { "ready" };
        return Json(json!({ "status": status, "checks": checks })).into_response();
    }
    ApiError::from(HttpRefusal::NotReady { failing, checks: Value::Object(checks) }).into_response()
}

/// The database and migrations checks, within [`READY_BUDGET`] together.
async fn database_checks(state: &AppState) -> (Check, Check) {
    let known = state.availability.database();
    if !known.reachable {
        let unreachable = Err(("unreachable".to_owned(), known.error));
        return (unreachable, Err(("not checked: the database is unreachable".to_owned(), None)));
    }
    let budget = tokio::time::Instant::now() + READY_BUDGET;
    let late = || Err((format!("no answer within {} ms", READY_BUDGET.as_millis()), None));
    let database: Check = match tokio::time::timeout_at(budget, state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(("unreachable".to_owned(), Some(e.to_string()))),
        Err(_) => late(),
    };
    if database.is_err() {
        return (database, Err(("not checked: the database is unreachable".to_owned(), None)));
    }
    let migrations = match tokio::time::timeout_at(budget, state.db.migration_status()).await {
        Ok(Ok(status)) if status.is_current() => Ok(()),
        Ok(Ok(status)) => Err((
            format!(
                "pending migrations {:?}, failed migrations {:?}; run `lawha migrate`",
                status.pending, status.failed
            ),
            None,
        )),
        Ok(Err(e)) => Err(("could not read the applied migrations".to_owned(), Some(e.to_string()))),
        Err(_) => late(),
    };
    (database, migrations)
}

/// The queue's check: `ok`, or `degraded` with why (the client's words for administrators only).
fn queue_check(queue: &QueueState, admin: bool) -> Value {
    match queue {
        QueueState::Ok => json!({ "status": "ok" }),
        QueueState::Connecting => json!({ "status": "degraded", "error": "not connected yet" }),
        QueueState::Unreachable { since, error } => {
            let mut entry = json!({
                "status": "degraded",
                "error": "unreachable: commands are accepted, their jobs wait until it answers",
                "since": since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            if admin {
                entry["detail"] = json!(error);
            }
            entry
        }
    }
}

/// `GET /health/metrics`: Prometheus text format.
#[utoipa::path(get, path = "/health/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], lawha_telemetry::render_metrics())
        .into_response()
}
