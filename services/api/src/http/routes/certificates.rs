//! The certificates capability's rows of the route table. Asking for a certificate may run a DNS-01 hook command
//! on its host, so creating and deleting one needs an administrator signed in, never a token, as sites do.
//! Renewing now is an operator's. The HTTP-01 answers are public, as the CA fetches them. The pages follow the
//! same rules (`page_rows`).

use axum::{
    http::Method,
    routing::{MethodRouter, delete, get, post},
};
use lawha_domain::users::Role;

use super::{RouteSpec, spec};
use crate::{
    certificates::{
        api,
        pages::{self, form},
    },
    http::auth::Need,
    state::AppState,
};

/// The rows.
pub fn rows() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let viewer = Need::AtLeast(Role::Viewer);
    let operator = Need::AtLeast(Role::Operator);
    let admin = Need::Session(Role::Admin);
    vec![
        (spec(Method::GET, "/api/v1/certificates", viewer, "/api/v1/certificates"), get(api::list)),
        (spec(Method::POST, "/api/v1/certificates", admin, "/api/v1/certificates"), post(api::create)),
        (spec(Method::GET, "/api/v1/certificates/{id}", viewer, "/api/v1/certificates/x"), get(api::show)),
        (spec(Method::DELETE, "/api/v1/certificates/{id}", admin, "/api/v1/certificates/x"), delete(api::remove)),
        (
            spec(Method::POST, "/api/v1/certificates/{id}/renew", operator, "/api/v1/certificates/x/renew"),
            post(api::renew),
        ),
        (
            spec(Method::GET, "/.well-known/acme-challenge/{token}", Need::Public, "/.well-known/acme-challenge/x"),
            get(api::challenge),
        ),
    ]
}

/// The pages' rows: the same needs as the JSON routes that do the same.
pub fn page_rows() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let viewer = Need::AtLeast(Role::Viewer);
    let operator = Need::AtLeast(Role::Operator);
    let admin = Need::Session(Role::Admin);
    vec![
        (spec(Method::GET, "/certificates", viewer, "/certificates"), get(pages::list)),
        (spec(Method::POST, "/certificates", admin, "/certificates"), post(form::create)),
        (spec(Method::GET, "/certificates/new", Need::AtLeast(Role::Admin), "/certificates/new"), get(form::new)),
        (spec(Method::GET, "/certificates/{id}", viewer, "/certificates/x"), get(pages::show)),
        (spec(Method::POST, "/certificates/{id}/renew", operator, "/certificates/x/renew"), post(pages::renew)),
        (spec(Method::POST, "/certificates/{id}/delete", admin, "/certificates/x/delete"), post(pages::delete)),
    ]
}
