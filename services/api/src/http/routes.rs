//! Authorization in one table: every route with the level it needs. The router is built from this table and
//! the route × principal test walks it, so a route cannot exist without a declared need.

use axum::{
    Router,
    http::Method,
    middleware,
    routing::{MethodRouter, get, post},
};

use lawha_domain::users::Role;

use super::{
    audit,
    auth::{self, Need},
    dashboard, events, health, openapi, pages, signin, system,
};
use crate::state::AppState;

/// One row of the table.
#[derive(Debug)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path pattern as axum writes it.
    pub path: &'static str,
    /// What the caller needs.
    pub need: Need,
    /// A concrete path to request in tests (patterns with `{…}` filled in).
    pub example: &'static str,
}

/// The table: (spec, handler).
pub fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let spec = |method, path, need, example| RouteSpec { method, path, need, example };
    vec![
        (spec(Method::GET, "/health/live", Need::Public, "/health/live"), get(health::live)),
        (spec(Method::GET, "/health/ready", Need::Public, "/health/ready"), get(health::ready)),
        (spec(Method::GET, "/health/metrics", Need::Public, "/health/metrics"), get(health::metrics)),
        (spec(Method::GET, "/api/openapi.json", Need::Public, "/api/openapi.json"), get(openapi::document)),
        (spec(Method::GET, "/", Need::AtLeast(Role::Viewer), "/"), get(dashboard::page)),
        (spec(Method::GET, "/login", Need::Public, "/login"), get(pages::login_page)),
        (spec(Method::GET, "/audit", Need::AtLeast(Role::Viewer), "/audit"), get(pages::audit_page)),
        (spec(Method::POST, "/settings/language", Need::Public, "/settings/language"), post(pages::set_language)),
        (spec(Method::GET, "/assets/{file}", Need::Public, "/assets/app.css"), get(pages::asset)),
        (spec(Method::GET, "/api/v1/session", Need::Public, "/api/v1/session"), get(signin::current)),
        (spec(Method::POST, "/login", Need::Public, "/login"), post(signin::login)),
        (spec(Method::POST, "/logout", Need::Public, "/logout"), post(signin::logout)),
        (
            spec(
                Method::POST,
                "/api/v1/session/sign-out-everywhere",
                Need::AtLeast(Role::Viewer),
                "/api/v1/session/sign-out-everywhere",
            ),
            post(signin::sign_out_everywhere),
        ),
        (
            spec(Method::GET, "/api/v1/events/stream", Need::AtLeast(Role::Viewer), "/api/v1/events/stream"),
            get(events::stream),
        ),
        (spec(Method::GET, "/api/v1/system", Need::AtLeast(Role::Viewer), "/api/v1/system"), get(system::report)),
        (spec(Method::GET, "/api/v1/audit", Need::AtLeast(Role::Viewer), "/api/v1/audit"), get(audit::list)),
        (
            spec(Method::GET, "/api/v1/audit/export", Need::AtLeast(Role::Viewer), "/api/v1/audit/export?format=csv"),
            get(audit::export),
        ),
        (
            spec(Method::GET, "/api/v1/audit/{position}", Need::AtLeast(Role::Viewer), "/api/v1/audit/1"),
            get(audit::event),
        ),
    ]
}

/// Mounts every route of the table behind its requirement.
pub fn mount(mut router: Router<AppState>) -> Router<AppState> {
    for (spec, handler) in table() {
        router = router.route(spec.path, handler.route_layer(middleware::from_fn_with_state(spec.need, auth::require)));
    }
    router
}
