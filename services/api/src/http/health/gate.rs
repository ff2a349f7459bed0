//! The database gate, in front of every route but `/health/*`: while the database probe finds the database
//! unreachable, a request is answered at once with `503 database_unavailable` and `Retry-After`, without touching
//! the database; a request in flight when the probe finds it gone gets the same answer then, rather than waiting
//! for the pool's own timeout; and a request that failed with a 500 while the next probe finds the database gone
//! is told that, not "internal error". Before, every request waited for the pool (13-20 s in an outage) and then
//! got `500 internal`.

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse as _, Response},
};

use crate::{
    http::error::{ApiError, HttpRefusal},
    state::AppState,
};

/// What `Retry-After` says while the database is away.
pub const RETRY_AFTER_SECS: u64 = 3;

/// Middleware: see the module's comment.
pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/health/") {
        return next.run(request).await;
    }
    let availability = &state.availability;
    let mut changes = availability.database_changes();
    let reachable = changes.borrow_and_update().reachable;
    if !reachable {
        return unavailable();
    }
    tokio::select! {
        response = next.run(request) => {
            if response.status() == StatusCode::INTERNAL_SERVER_ERROR && !availability.probe_again().await {
                return unavailable();
            }
            response
        }
        () = went_down(changes) => unavailable(),
    }
}

/// Resolves when the probe finds the database gone; never, if nobody can say so any more.
async fn went_down(mut changes: tokio::sync::watch::Receiver<super::availability::DatabaseState>) {
    let gone = changes.wait_for(|database| !database.reachable).await.is_ok();
    if !gone {
        std::future::pending::<()>().await;
    }
}

fn unavailable() -> Response {
    ApiError::from(HttpRefusal::DatabaseUnavailable { retry_after: RETRY_AFTER_SECS }).into_response()
}
