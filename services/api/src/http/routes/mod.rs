//! Authorization in one table: every route with the level it needs. The router is built from this table and
//! the route × principal test walks it, so a route cannot exist without a declared need.

use axum::{
    Router,
    http::Method,
    middleware,
    routing::{MethodRouter, delete, get, post, put},
};

use lawha_domain::users::Role;

use super::{
    auth::{self, Need},
    health, openapi,
};
use crate::{
    audit::{self, chain as audit_chain, pages as audit_pages, stream as events},
    backups::{
        api as backups,
        pages::{self as backups_pages, form as backup_form, run as backup_run_page},
    },
    jobs::{
        api::{self as jobs, admin},
        pages as jobs_pages,
    },
    setup::pages as setup,
    state::AppState,
    system::{self, dashboard, settings},
    ui::assets,
    users::{
        api::{account, session as signin, users},
        pages::{account as account_pages, signin as signin_pages, users as users_pages},
    },
};

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

mod certificates;
mod deployments;

/// The largest body limit a route of the table sets for itself (above `http.body_limit_bytes`).
pub const LARGEST_OWN_BODY_LIMIT: usize = deployments::OWN_BODY_LIMIT;

/// The table: (spec, handler).
pub fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let mut rows = capabilities();
    rows.extend(deployments::rows());
    rows.extend(deployments::page_rows());
    rows.extend(certificates::rows());
    rows.extend(certificates::page_rows());
    rows
}

fn spec(method: Method, path: &'static str, need: Need, example: &'static str) -> RouteSpec {
    RouteSpec { method, path, need, example }
}

/// The rows of the capabilities that came first.
fn capabilities() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    vec![
        (spec(Method::GET, "/health/live", Need::Public, "/health/live"), get(health::live)),
        (spec(Method::GET, "/health/ready", Need::Public, "/health/ready"), get(health::ready)),
        (spec(Method::GET, "/health/metrics", Need::Public, "/health/metrics"), get(health::metrics)),
        (spec(Method::GET, "/api/openapi.json", Need::Public, "/api/openapi.json"), get(openapi::document)),
        (spec(Method::GET, "/", Need::AtLeast(Role::Viewer), "/"), get(dashboard::page)),
        (spec(Method::GET, "/login", Need::Public, "/login"), get(signin_pages::login_page)),
        (spec(Method::GET, "/audit", Need::AtLeast(Role::Viewer), "/audit"), get(audit_pages::audit_page)),
        (spec(Method::POST, "/settings/language", Need::Public, "/settings/language"), post(settings::set_language)),
        (spec(Method::GET, "/assets/{file}", Need::Public, "/assets/app.css"), get(assets::asset)),
        (spec(Method::GET, "/api/v1/session", Need::Public, "/api/v1/session"), get(signin::current)),
        (spec(Method::POST, "/login", Need::Public, "/login"), post(signin::login)),
        (spec(Method::POST, "/logout", Need::Public, "/logout"), post(signin::logout)),
        (spec(Method::POST, "/login/second-factor", Need::Public, "/login/second-factor"), post(signin::second_factor)),
        (
            spec(Method::POST, "/audit/verify", Need::AtLeast(Role::Admin), "/audit/verify"),
            post(audit_chain::verify_now),
        ),
        (spec(Method::GET, "/jobs", Need::AtLeast(Role::Viewer), "/jobs"), get(jobs_pages::list)),
        (spec(Method::GET, "/jobs/{id}", Need::AtLeast(Role::Viewer), "/jobs/x"), get(jobs_pages::show)),
        (
            spec(Method::POST, "/jobs/{id}/retry", Need::AtLeast(Role::Operator), "/jobs/x/retry"),
            post(jobs_pages::retry),
        ),
        (spec(Method::GET, "/backups", Need::AtLeast(Role::Viewer), "/backups"), get(backups_pages::list)),
        (spec(Method::POST, "/backups", Need::Session(Role::Admin), "/backups"), post(backup_form::create)),
        (spec(Method::GET, "/backups/new", Need::AtLeast(Role::Admin), "/backups/new"), get(backup_form::new)),
        (spec(Method::GET, "/backups/{id}", Need::AtLeast(Role::Viewer), "/backups/x"), get(backups_pages::show)),
        (spec(Method::POST, "/backups/{id}", Need::Session(Role::Admin), "/backups/x"), post(backup_form::update)),
        (
            spec(Method::GET, "/backups/{id}/edit", Need::AtLeast(Role::Admin), "/backups/x/edit"),
            get(backup_form::edit),
        ),
        (
            spec(Method::POST, "/backups/{id}/delete", Need::Session(Role::Admin), "/backups/x/delete"),
            post(backups_pages::delete),
        ),
        (
            spec(Method::POST, "/backups/{id}/run", Need::AtLeast(Role::Operator), "/backups/x/run"),
            post(backups_pages::run),
        ),
        (
            spec(Method::GET, "/backups/runs/{id}", Need::AtLeast(Role::Viewer), "/backups/runs/x"),
            get(backup_run_page::show),
        ),
        (
            spec(Method::POST, "/backups/runs/{id}/verify", Need::AtLeast(Role::Operator), "/backups/runs/x/verify"),
            post(backup_run_page::verify),
        ),
        (
            spec(Method::POST, "/backups/runs/{id}/restore", Need::Session(Role::Admin), "/backups/runs/x/restore"),
            post(backup_run_page::restore),
        ),
        (
            spec(Method::GET, "/backups/runs/{id}/download", Need::AtLeast(Role::Admin), "/backups/runs/x/download"),
            get(backup_run_page::download),
        ),
        (spec(Method::GET, "/settings", Need::AtLeast(Role::Viewer), "/settings"), get(settings::settings_page)),
        (spec(Method::GET, "/users", Need::AtLeast(Role::Admin), "/users"), get(users_pages::show)),
        (spec(Method::POST, "/users", Need::Session(Role::Admin), "/users"), post(users_pages::create)),
        (
            spec(Method::POST, "/users/{name}/role", Need::Session(Role::Admin), "/users/nobody/role"),
            post(users_pages::change_role),
        ),
        (spec(Method::GET, "/account", Need::Session(Role::Viewer), "/account"), get(account_pages::show)),
        (
            spec(Method::POST, "/account/password", Need::Session(Role::Viewer), "/account/password"),
            post(account_pages::change_password),
        ),
        (
            spec(Method::POST, "/account/two-factor/enroll", Need::Session(Role::Viewer), "/account/two-factor/enroll"),
            post(account_pages::enroll),
        ),
        (
            spec(
                Method::POST,
                "/account/two-factor/confirm",
                Need::Session(Role::Viewer),
                "/account/two-factor/confirm",
            ),
            post(account_pages::confirm),
        ),
        (
            spec(
                Method::POST,
                "/account/two-factor/disable",
                Need::Session(Role::Viewer),
                "/account/two-factor/disable",
            ),
            post(account_pages::disable),
        ),
        (
            spec(Method::POST, "/account/tokens", Need::Session(Role::Viewer), "/account/tokens"),
            post(account_pages::create_token),
        ),
        (
            spec(Method::POST, "/account/tokens/{id}/revoke", Need::Session(Role::Viewer), "/account/tokens/x/revoke"),
            post(account_pages::revoke_token),
        ),
        (spec(Method::GET, "/api/v1/account", Need::AtLeast(Role::Viewer), "/api/v1/account"), get(account::show)),
        (
            spec(Method::POST, "/api/v1/account/password", Need::Session(Role::Viewer), "/api/v1/account/password"),
            post(account::change_password),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/account/two-factor/enroll",
                Need::Session(Role::Viewer),
                "/api/v1/account/two-factor/enroll",
            ),
            post(account::enroll),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/account/two-factor/confirm",
                Need::Session(Role::Viewer),
                "/api/v1/account/two-factor/confirm",
            ),
            post(account::confirm),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/account/two-factor/disable",
                Need::Session(Role::Viewer),
                "/api/v1/account/two-factor/disable",
            ),
            post(account::disable),
        ),
        (
            spec(Method::POST, "/api/v1/account/tokens", Need::Session(Role::Viewer), "/api/v1/account/tokens"),
            post(account::create_token),
        ),
        (
            spec(
                Method::DELETE,
                "/api/v1/account/tokens/{id}",
                Need::Session(Role::Viewer),
                "/api/v1/account/tokens/x",
            ),
            delete(account::revoke_token),
        ),
        (spec(Method::GET, "/api/v1/users", Need::AtLeast(Role::Admin), "/api/v1/users"), get(users::list)),
        // Making accounts and giving roles needs a signed-in admin: a leaked token must not be able to mint an admin
        // with a password of its own (tokens never reach `Need::Session` routes, whatever their scope).
        (spec(Method::POST, "/api/v1/users", Need::Session(Role::Admin), "/api/v1/users"), post(users::create)),
        (
            spec(Method::PUT, "/api/v1/users/{name}/role", Need::Session(Role::Admin), "/api/v1/users/nobody/role"),
            put(users::change_role),
        ),
        // The first-start setup link (development only): the token in the path is the credential.
        (spec(Method::GET, "/setup/{token}", Need::Public, "/setup/0"), get(setup::form)),
        (spec(Method::POST, "/setup/{token}", Need::Public, "/setup/0"), post(setup::create)),
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
        (spec(Method::GET, "/api/v1/system", Need::AtLeast(Role::Viewer), "/api/v1/system"), get(system::api::report)),
        (spec(Method::GET, "/api/v1/audit", Need::AtLeast(Role::Viewer), "/api/v1/audit"), get(audit::api::list)),
        (
            spec(Method::GET, "/api/v1/audit/export", Need::AtLeast(Role::Viewer), "/api/v1/audit/export?format=csv"),
            get(audit::api::export),
        ),
        (
            spec(Method::GET, "/api/v1/audit/{position}", Need::AtLeast(Role::Viewer), "/api/v1/audit/1"),
            get(audit::api::event),
        ),
        (spec(Method::GET, "/api/v1/jobs", Need::AtLeast(Role::Viewer), "/api/v1/jobs"), get(jobs::list)),
        (spec(Method::GET, "/api/v1/jobs/{id}", Need::AtLeast(Role::Viewer), "/api/v1/jobs/x"), get(jobs::show)),
        (
            spec(Method::POST, "/api/v1/jobs/{id}/retry", Need::AtLeast(Role::Operator), "/api/v1/jobs/x/retry"),
            post(jobs::retry),
        ),
        (spec(Method::GET, "/api/v1/jobs/{id}/log", Need::AtLeast(Role::Viewer), "/api/v1/jobs/x/log"), get(jobs::log)),
        (
            spec(Method::POST, "/api/v1/admin/audit-verify", Need::AtLeast(Role::Admin), "/api/v1/admin/audit-verify"),
            post(admin::audit_verify),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/admin/projections/{name}/rebuild",
                Need::AtLeast(Role::Admin),
                "/api/v1/admin/projections/nope/rebuild",
            ),
            post(admin::rebuild),
        ),
        (
            spec(Method::POST, "/api/v1/admin/probe", Need::AtLeast(Role::Admin), "/api/v1/admin/probe"),
            post(admin::probe),
        ),
        (
            spec(Method::GET, "/api/v1/backup-plans", Need::AtLeast(Role::Viewer), "/api/v1/backup-plans"),
            get(backups::list),
        ),
        // A plan reads any folder or database of the machine and a restore overwrites one: like creating users,
        // they need a person signed in as an admin, never a token (a leaked token could exfiltrate or destroy).
        (
            spec(Method::POST, "/api/v1/backup-plans", Need::Session(Role::Admin), "/api/v1/backup-plans"),
            post(backups::create),
        ),
        (
            spec(Method::GET, "/api/v1/backup-plans/{id}", Need::AtLeast(Role::Viewer), "/api/v1/backup-plans/x"),
            get(backups::show),
        ),
        (
            spec(Method::PUT, "/api/v1/backup-plans/{id}", Need::Session(Role::Admin), "/api/v1/backup-plans/x"),
            put(backups::update),
        ),
        (
            spec(Method::DELETE, "/api/v1/backup-plans/{id}", Need::Session(Role::Admin), "/api/v1/backup-plans/x"),
            delete(backups::remove),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/backup-plans/{id}/run",
                Need::AtLeast(Role::Operator),
                "/api/v1/backup-plans/x/run",
            ),
            post(backups::run),
        ),
        (
            spec(Method::GET, "/api/v1/backup-runs/{id}", Need::AtLeast(Role::Viewer), "/api/v1/backup-runs/x"),
            get(backups::show_run),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/backup-runs/{id}/verify",
                Need::AtLeast(Role::Operator),
                "/api/v1/backup-runs/x/verify",
            ),
            post(backups::verify),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/backup-runs/{id}/restore",
                Need::Session(Role::Admin),
                "/api/v1/backup-runs/x/restore",
            ),
            post(backups::restore),
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
