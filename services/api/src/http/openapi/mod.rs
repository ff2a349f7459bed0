//! The OpenAPI 3.1 document at `GET /api/openapi.json`, generated from the handlers' annotations and the answers
//! every operation can give ([`contract`]). A test checks
//! that every `/api/v1` route of the route table is in it, with its security requirement and the error shape.

mod contract;

use std::sync::OnceLock;

use axum::Json;
use serde_json::Value;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{error, health, routes};
use crate::{
    audit::{api as audit, read as audit_read, stream as events},
    backups::api as backups,
    certificates::api as certs,
    deployments::{api as sites, read as sites_read, webhook},
    jobs::api::{self as jobs, admin},
    system::api as system,
    users::api::{account, session as signin, users},
    users::pages::signin as sign_in_page,
};

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Lawha", description = "Lawha's JSON API. Authenticate with `Authorization: Bearer <token>`."),
    paths(health::live, health::ready, health::metrics, audit::list, audit::event, audit::export,
        events::stream, system::report, signin::current, sign_in_page::login_page, signin::login, signin::second_factor, signin::logout,
        signin::sign_out_everywhere, account::show, account::change_password, account::enroll, account::confirm,
        account::disable, account::create_token, account::revoke_token, users::list, users::create, users::change_role,
        jobs::list, jobs::show, jobs::retry, jobs::log, admin::audit_verify, admin::rebuild, admin::probe,
        backups::create, backups::list, backups::show, backups::update, backups::remove, backups::run,
        backups::show_run, backups::verify, backups::restore, sites::create, sites::list, sites::show, sites::update,
        sites::remove, sites::rotate_secret, sites::deploy, sites::rollback, sites::deployments, sites::releases,
        sites::deployment, webhook::github, crate::hosts::api::list,
        certs::create, certs::list, certs::show, certs::renew, certs::remove),
    components(schemas(error::ErrorBody, audit::ExportFormatName, error::ErrorDetail, audit_read::AuditPage, audit_read::AuditItem, account::AccountView,
        account::TokenInfo, account::PasswordChange, account::CodeBody, account::DisableBody, account::NewToken, account::ScopeName,
        signin::LoginForm, signin::CodeForm,
        crate::users::two_factor::Enrollment, users::UserRow, users::NewUser, users::RoleChange, users::RoleName,
        system::SystemReport, crate::system::Sample, jobs::JobPage, jobs::LogPage, jobs::JobStateName, jobs::JobKindName, jobs::RetryAccepted,
        crate::jobs::read::JobSummary, crate::jobs::read::JobDetail, crate::jobs::read::AttemptView,
        crate::jobs::read::LogLine, admin::JobRequested, admin::ProbeBody, admin::ProbeOutcome, admin::ProbeLimits,
        crate::backups::PlanInput, crate::backups::input::SourceInput, crate::backups::input::DestinationInput, crate::backups::input::SourceKindInput, crate::backups::input::DestinationKindInput, crate::backups::input::RetentionInput, crate::backups::input::EncryptionInput,
        crate::backups::read::PlanView, crate::backups::read::RunView, backups::Created, backups::RunRequested,
        backups::JobAccepted, backups::VerifyBody, backups::RestoreBody, backups::PlanList, backups::PlanDetail, backups::TargetBody,
        crate::deployments::SiteInput, crate::deployments::input::PortsInput, crate::deployments::input::RuntimeName,
        sites::SiteCreated, sites::SiteList, sites::SiteDetail, sites::SecretRotated, sites::DeployBody, sites::DeployAccepted, sites::RollbackBody,
        sites::DeploymentList, sites::ReleaseList, sites_read::SiteView,
        sites_read::DeploymentView, sites_read::ReleaseView, crate::hosts::api::HostList, crate::hosts::read::HostView,
        crate::certificates::CertificateInput, crate::certificates::input::ChallengeName, crate::certificates::input::KeyTypeName,
        certs::OrderAccepted, certs::CertificateList, certs::RenewBody, crate::certificates::read::CertificateView,
        crate::certificates::read::WindowView)),
    modifiers(&BearerAuth),
    tags((name = "health", description = "Liveness, readiness and metrics"), (name = "audit", description = "The audit log"),
        (name = "system", description = "This host's CPU, memory, disk and load"),
        (name = "session", description = "Sign-in, sign-out and the CSRF token"),
        (name = "account", description = "The acting user's password, two-factor sign-in and API tokens"),
        (name = "users", description = "Accounts and roles (admin)"),
        (name = "jobs", description = "Background jobs: their state, attempts, output and retry by hand"),
        (name = "admin", description = "Requests for administrative work, run as jobs (admin)"),
        (name = "deployments", description = "Sites, their deployments, releases and rollbacks, and GitHub's webhook"),
        (name = "certificates", description = "TLS certificates: ordered over ACME by the cert worker of their host, renewed by the CA's window or a third of their lifetime"))
)]
pub struct ApiDoc;

/// Declares the bearer token scheme the API's `security` requirements name.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("lawha_…").build()),
        );
    }
}

/// The document as served: the handlers' annotations plus the answers every operation can give
/// ([`contract`]), built once.
pub fn document_value() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
        let table: Vec<routes::RouteSpec> = routes::table().into_iter().map(|(spec, _)| spec).collect();
        contract::add_common_answers(&mut doc, &table);
        doc
    })
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(document_value().clone())
}
