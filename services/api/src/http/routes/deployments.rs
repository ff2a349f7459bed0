//! The deployments capability's rows of the route table. Sites run commands on a host (their build and start
//! commands): creating, changing and deleting one needs an administrator signed in, never a token, as backup
//! plans do. Deploying and rolling back are an operator's. GitHub's webhook is public: it checks its own
//! signature, and takes bodies up to 25 MB (the other routes keep `http.body_limit_bytes`). The pages follow the
//! same rules (`page_rows`).

use axum::{
    extract::DefaultBodyLimit,
    http::Method,
    routing::{MethodRouter, delete, get, post, put},
};
use lawha_domain::users::Role;

use super::{RouteSpec, spec};
use crate::{
    deployments::{
        api,
        pages::{self, deployment as deployment_page, form, site as site_page},
        webhook,
    },
    hosts::api as hosts,
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
        (spec(Method::GET, "/api/v1/hosts", viewer, "/api/v1/hosts"), get(hosts::list)),
        (
            spec(Method::POST, "/webhooks/github/{site}", Need::Public, "/webhooks/github/x"),
            post(webhook::github).layer(DefaultBodyLimit::max(OWN_BODY_LIMIT)),
        ),
    ]
}

/// The pages' rows: the same needs as the JSON routes that do the same.
pub fn page_rows() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let viewer = Need::AtLeast(Role::Viewer);
    let operator = Need::AtLeast(Role::Operator);
    let admin = Need::Session(Role::Admin);
    vec![
        (spec(Method::GET, "/sites", viewer, "/sites"), get(pages::list)),
        (spec(Method::GET, "/hosts", viewer, "/hosts"), get(crate::hosts::page::list)),
        (spec(Method::POST, "/sites", admin, "/sites"), post(form::create)),
        (spec(Method::GET, "/sites/new", Need::AtLeast(Role::Admin), "/sites/new"), get(form::new)),
        (spec(Method::GET, "/sites/{id}", viewer, "/sites/x"), get(site_page::show)),
        (spec(Method::POST, "/sites/{id}", admin, "/sites/x"), post(form::update)),
        (spec(Method::GET, "/sites/{id}/edit", Need::AtLeast(Role::Admin), "/sites/x/edit"), get(form::edit)),
        (spec(Method::POST, "/sites/{id}/delete", admin, "/sites/x/delete"), post(site_page::delete)),
        (
            spec(Method::POST, "/sites/{id}/webhook-secret", admin, "/sites/x/webhook-secret"),
            post(site_page::rotate_secret),
        ),
        (spec(Method::POST, "/sites/{id}/deploy", operator, "/sites/x/deploy"), post(site_page::deploy)),
        (spec(Method::POST, "/sites/{id}/rollback", operator, "/sites/x/rollback"), post(site_page::rollback)),
        (spec(Method::GET, "/deployments/{id}", viewer, "/deployments/x"), get(deployment_page::show)),
    ]
}
