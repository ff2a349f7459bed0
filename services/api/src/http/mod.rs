//! The HTTP surface: routes and the middleware every request passes through, in one place.
//!
//! Order, outermost first: the security entrance (before routing: it strips the entrance from the path, or
//! answers as an unknown path) → request context (id, client IP, span) → security headers → metrics → the
//! address allow-list → JSON error shape → the database gate (`health/gate.rs`) → session → CSRF → authentication
//! → timeout → body limit → the route
//! (with its own authorization layer). Health endpoints and webhooks stay at the root, outside the entrance and
//! the allow-list.

pub mod accept;
pub mod allow;
pub mod auth;
pub mod context;
pub mod csrf;
pub mod entrance;
pub mod error;
pub mod headers;
pub mod health;
pub mod input;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod routes;

use std::time::Duration;

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, middleware};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

use crate::state::AppState;

/// Every route of the panel, plus `extra` (empty outside tests), behind the security entrance.
pub fn router(state: AppState, extra: Router<AppState>) -> Router {
    let routes = routes::mount(extra).fallback(error::not_found);
    let panel = with_middleware(routes, &state).with_state(state.clone());
    // Paths outside the entrance get the panel's fallback behind the layers that shape every answer, and no
    // others: sessions, CSRF and authentication would treat `/login` differently from `/nonsense` and so give
    // the entrance away.
    let entrance = state.config.ui.entrance.clone();
    let hidden = outer_layers(Router::new().fallback(error::not_found), &state).with_state(state);
    entrance::wrap(panel, entrance, hidden)
}

/// Wraps routes in the common middleware; tests use it to put their own routes behind the same stack.
pub fn with_middleware(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let http = &state.config.http;
    let body_limit = http.body_limit_bytes;
    let routes = routes
        .layer(DefaultBodyLimit::max(body_limit))
        // The extractors hold every route to `body_limit` (DefaultBodyLimit); this outer bound only lets the
        // routes that raise their own limit (GitHub's deliveries) receive that much.
        .layer(RequestBodyLimitLayer::new(body_limit.max(routes::LARGEST_OWN_BODY_LIMIT)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(http.request_timeout_secs),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(crate::users::session::layer(
            crate::users::session::DbSessionStore::new(state.db.read_models.clone()),
            state.config.profile.is_production(),
            state.config.ui.prefix(),
            state.config.session.idle_timeout_secs,
        ))
        // Outside the session and authentication, which read the database: while it is away, answer at once.
        .layer(middleware::from_fn_with_state(state.clone(), health::gate::gate));
    outer_layers(routes, state)
}

/// The layers every answer passes through, whether the path is served or hidden by the entrance.
fn outer_layers(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    routes
        .layer(middleware::from_fn(input::limit_target))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), allow::guard))
        .layer(middleware::from_fn(metrics::record))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), context::request_context))
}
