//! The deployments capability's rows of the route table. Sites run commands on a host (their build and start
//! commands): creating, changing and deleting one needs an administrator signed in, never a token, as backup
//! plans do. Deploying and rolling back are an operator's. GitHub's webhook is public: it checks its own
//! signature, and takes bodies up to 25 MB (the other routes keep `http.body_limit_bytes`).

use axum::{
    extract::DefaultBodyLimit,
    http::Method,
    routing::{MethodRouter, delete, get, post, put},
};
use lawha_domain::users::Role;

use super::{RouteSpec, spec};
use crate::{
    deployments::{api, webhook},
    http::auth::Need,
    state::AppState,
};

/// The body limit GitHub's webhook route sets for itself.
pub const OWN_BODY_LIMIT: usize = webhook::MAX_DELIVERY_BYTES;

/// The rows.
pub fn rows() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let viewer = Need::AtLeast(Role::Viewer);
    let operator = Need::AtLeast(Role::Operator);
    let admin = Need::Session(Role::Admin);
    vec![
        (spec(Method::GET, "/api/v1/sites", viewer, "/api/v1/sites"), get(api::list)),
        (spec(Method::POST, "/api/v1/sites", admin, "/api/v1/sites"), post(api::create)),
        (spec(Method::GET, "/api/v1/sites/{id}", viewer, "/api/v1/sites/x"), get(api::show)),
        (spec(Method::PUT, "/api/v1/sites/{id}", admin, "/api/v1/sites/x"), put(api::update)),
        (spec(Method::DELETE, "/api/v1/sites/{id}", admin, "/api/v1/sites/x"), delete(api::remove)),
        (
            spec(Method::POST, "/api/v1/sites/{id}/webhook-secret", admin, "/api/v1/sites/x/webhook-secret"),
            post(api::rotate_secret),
        ),
        (spec(Method::POST, "/api/v1/sites/{id}/deploy", operator, "/api/v1/sites/x/deploy"), post(api::deploy)),
        (spec(Method::POST, "/api/v1/sites/{id}/rollback", operator, "/api/v1/sites/x/rollback"), post(api::rollback)),
        (
            spec(Method::GET, "/api/v1/sites/{id}/deployments", viewer, "/api/v1/sites/x/deployments"),
            get(api::deployments),
        ),
        (spec(Method::GET, "/api/v1/sites/{id}/releases", viewer, "/api/v1/sites/x/releases"), get(api::releases)),
        (spec(Method::GET, "/api/v1/deployments/{id}", viewer, "/api/v1/deployments/x"), get(api::deployment)),
        (
            spec(Method::POST, "/webhooks/github/{site}", Need::Public, "/webhooks/github/x"),
            post(webhook::github).layer(DefaultBodyLimit::max(OWN_BODY_LIMIT)),
        ),
    ]
}
