//! The certificates pages (they work without JavaScript): the certificates with their names, issuer, days left,
//! status and last failed order; one certificate with its validity, renewal window, files, events and actions
//! (Renew now for operators, delete for admins); and the form of a new certificate (`form.rs`, admins). Roles
//! follow the JSON routes' (`http/routes/certificates.rs`).

pub mod form;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use serde::Deserialize;
use uuid::Uuid;

use super::{CertError, commands, read};
use crate::{
    audit::pages::{AuditRow, audit_rows},
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        ErrorPage, Page, Section,
        kit::{Alerts, Done, Refused, say, when},
        request::{PageRequest, signed_in_nav},
    },
};

/// How many of a certificate's events its page lists.
const EVENTS_SHOWN: i64 = 50;

/// A page of the certificates section, with its navigation and user.
pub(crate) async fn section_page(request: &PageRequest, principal: &Principal, title: &str) -> Result<Page, ApiError> {
    let (page, _) = request.page(title).await?;
    let nav = signed_in_nav(page.lang, &request.prefix, Section::Certificates, principal);
    Ok(page.with_nav(nav).with_user(principal.user.clone()))
}

/// A certificate as the pages show it.
#[derive(Debug)]
pub struct CertificateRow {
    /// The certificate as the API shows it.
    pub view: read::CertificateView,
    /// Its status in words.
    pub status_label: String,
    /// `ok`, `soon` (under 14 days), `expired` or `none`, for `data-expiry`.
    pub expiry: &'static str,
    /// When it expires, localized.
    pub expires: String,
    /// Days left, in words.
    pub days_left: String,
    /// The step the last order failed at, in words.
    pub failed_step: Option<String>,
    /// Why it failed, in the page's language.
    pub error: Option<String>,
    /// When the failed order is tried again, localized.
    pub next_retry: String,
    /// When the last order was asked for, localized.
    pub last_attempt: String,
}

impl std::ops::Deref for CertificateRow {
    type Target = read::CertificateView;

    fn deref(&self) -> &read::CertificateView {
        &self.view
    }
}

impl CertificateRow {
    pub(crate) fn new(page: &Page, view: read::CertificateView) -> Self {
        let expiry = match view.expires.map(|at| at - chrono::Utc::now()) {
            None => "none",
            Some(left) if left <= chrono::TimeDelta::zero() => "expired",
            Some(left) if left < chrono::TimeDelta::days(14) => "soon",
            Some(_) => "ok",
        };
        let days_left = match view.days_left {
            Some(_) if expiry == "expired" => page.t("certificate-expired"),
            Some(days) => page.t_num("certificate-days-left", "days", days),
            None => "—".to_owned(),
        };
        Self {
            status_label: page.t(&format!("certificate-status-{}", view.status)),
            expiry,
            expires: when(page.lang, view.not_after.as_deref()),
            days_left,
            failed_step: view.last_error_step.as_ref().map(|s| page.t(&format!("certificate-step-{s}"))),
            error: view.last_error_message.as_ref().map(|m| say(page.lang, m)),
            next_retry: when(page.lang, view.next_retry_at.as_deref()),
            last_attempt: when(page.lang, view.last_attempt_at.as_deref()),
            view,
        }
    }
}

/// The certificates page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "certificates.html")]
pub struct CertificatesPage {
    /// Shared part.
    pub page: Page,
    /// The certificates, soonest expiry first.
    pub certificates: Vec<CertificateRow>,
    /// Whether the New certificate link is shown (admins).
    pub can_edit: bool,
    /// What was just done.
    pub alerts: Alerts,
}

/// `GET /certificates` (viewer).
pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "certificates-title").await?;
    let certificates = read::list(&state.db.read_models).await?;
    let certificates = certificates.into_iter().map(|c| CertificateRow::new(&page, c)).collect();
    let alerts = Alerts::notice(done.notice(&page, "certificate-done", &["deleted"]));
    Ok(CertificatesPage { can_edit: principal.level >= Role::Admin, page, certificates, alerts }.into_response())
}

/// A certificate's page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    /// Shared part.
    pub page: Page,
    /// The certificate.
    pub certificate: CertificateRow,
    /// Its renewal window, localized (start, end).
    pub window: Option<(String, String)>,
    /// Its events, newest first.
    pub events: Vec<AuditRow>,
    /// Renew now is offered (operators).
    pub can_renew: bool,
    /// Delete is offered (admins).
    pub can_edit: bool,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
}

/// `GET /certificates/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "certificate-title").await?;
    let alerts = Alerts::notice(done.notice(&page, "certificate-done", &["requested", "renewing"]));
    render(&state, page, &principal, &id, StatusCode::OK, alerts).await
}

/// The certificate page for `id` (a 404 page when there is no such certificate).
async fn render(
    state: &AppState,
    page: Page,
    principal: &Principal,
    id: &str,
    status: StatusCode,
    alerts: Alerts,
) -> Result<Response, ApiError> {
    let pool = &state.db.read_models;
    let found = match Uuid::parse_str(id) {
        Ok(id) => read::one(pool, id).await?.filter(|c| c.status != "deleted"),
        Err(_) => None,
    };
    let Some(view) = found else { return Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response()) };
    let events = audit_rows(page.lang, read::events(pool, &view.id, EVENTS_SHOWN).await?);
    let window = view.renewal_window.as_ref().map(|w| (when(page.lang, Some(&w.start)), when(page.lang, Some(&w.end))));
    let body = CertificatePage {
        certificate: CertificateRow::new(&page, view),
        window,
        events,
        can_renew: principal.level >= Role::Operator,
        can_edit: principal.level >= Role::Admin,
        alerts,
        page,
    };
    Ok((status, body).into_response())
}

/// The certificate page again with the refusal's message (a 404 page when it is gone); a server error stays one.
async fn refused(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    id: &str,
    e: CertError,
) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "certificate-title").await?;
    let refused = Refused::of(page.lang, ApiError::from(e))?;
    render(state, page, principal, id, refused.status, Alerts::error(refused.text)).await
}

/// The Renew now form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RenewForm {
    /// `on` to order even while an order seems under way.
    force: Option<String>,
}

/// `POST /certificates/{id}/renew` (operator): asks for a new order now, then shows the certificate.
pub async fn renew(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<RenewForm>,
) -> Result<Response, ApiError> {
    let Ok(certificate_id) = Uuid::parse_str(&id) else { return not_found(&request, &principal).await };
    let pool = &state.db.read_models;
    let before = read::version(pool, certificate_id).await?;
    match commands::renew(&state.db, certificate_id, form.force.is_some(), &context.metadata()).await {
        Ok(_) => {
            read::wait(pool, certificate_id, before + 1).await;
            Ok(request.prefix.redirect(&format!("/certificates/{certificate_id}?done=renewing")).into_response())
        }
        Err(e) => refused(&state, &request, &principal, &id, e).await,
    }
}

/// `POST /certificates/{id}/delete` (admin): no more renewals; the files stay on the host.
pub async fn delete(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Ok(certificate_id) = Uuid::parse_str(&id) else { return not_found(&request, &principal).await };
    let pool = &state.db.read_models;
    let before = read::version(pool, certificate_id).await?;
    match commands::delete(&state.db, certificate_id, &context.metadata()).await {
        Ok(()) => {
            read::wait(pool, certificate_id, before + 1).await;
            Ok(request.prefix.redirect("/certificates?done=deleted").into_response())
        }
        Err(e) => refused(&state, &request, &principal, &id, e).await,
    }
}

/// The 404 page of the section, for a path segment that is not an id.
async fn not_found(request: &PageRequest, principal: &Principal) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "certificate-title").await?;
    Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response())
}
