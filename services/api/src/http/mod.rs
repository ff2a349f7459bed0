//! The HTTP surface: routes and the middleware every request passes through, in one place.
//!
//! Order, outermost first: request context (id, client IP, span) → metrics → JSON error shape → timeout →
//! body limit → the route. Health endpoints are outside any future authentication or security entrance.

pub mod audit;
pub mod auth;
pub mod context;
pub mod csrf;
pub mod dashboard;
pub mod error;
pub mod events;
pub mod headers;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod signin;
pub mod system;

use std::time::Duration;

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, middleware};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

use crate::state::AppState;

/// Every route of the panel, plus `extra` (empty outside tests).
pub fn router(state: AppState, extra: Router<AppState>) -> Router {
    let routes = routes::mount(extra).fallback(error::not_found);
    with_middleware(routes, &state).with_state(state)
}

/// Wraps routes in the common middleware; tests use it to put their own routes behind the same stack.
pub fn with_middleware(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let http = &state.config.http;
    let body_limit = http.body_limit_bytes;
    routes
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(http.request_timeout_secs),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(crate::session::layer(
            crate::session::DbSessionStore::new(state.db.read_models.clone()),
            state.config.profile.is_production(),
        ))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn(metrics::record))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(middleware::from_fn(context::request_context))
}
