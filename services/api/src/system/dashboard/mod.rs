//! The dashboard at `GET /` (viewer): this host's CPU, memory, disk, load and uptime now and over the last hour,
//! and the newest audit events. Server-rendered and complete without JavaScript; `app.js` only refreshes it.
//!
//! The host figures come from the monitor's published snapshot (`AppState::system`), never from the host
//! itself, and are formatted once per snapshot and language (`cache.rs`): a page view costs two `Arc` clones,
//! the template and one read of the audit log.

mod cache;
mod cards;
mod sparkline;

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::State,
    response::{IntoResponse, Response},
};

pub use cache::{HostView, host_view};
pub use cards::{Card, Measured, Sparkline};
use sparkline::{HEIGHT, WIDTH};

use crate::{
    audit::{
        input::AuditQuery,
        pages::{AuditRow, audit_rows},
        read,
    },
    http::{auth::Principal, error::ApiError},
    ui::request::{PageRequest, signed_in_nav},
};
use crate::{
    state::AppState,
    ui::{Page, Section},
};

/// How many audit events the dashboard lists.
const RECENT_EVENTS: &str = "10";

/// The dashboard page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    /// Shared part.
    pub page: Page,
    /// The host's cards and when they were measured, shared with every request of this snapshot and language.
    pub host: Arc<HostView>,
    /// The newest audit events, newest first.
    pub rows: Vec<AuditRow>,
    /// The sparklines' view box, `0 0 WIDTH HEIGHT`.
    pub view_box: String,
    /// The certificate that expires first (a certificate whose order failed is listed in `failing`).
    pub nearest_certificate: Option<crate::certificates::pages::CertificateRow>,
    /// How many certificates' last order failed.
    pub failing_certificates: i64,
}

/// `GET /` (viewer).
pub async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    request: PageRequest,
) -> Result<Response, ApiError> {
    let (page, user) = request.page("dashboard-title").await?;
    let lang = page.lang;
    let nav = signed_in_nav(lang, &request.prefix, Section::Dashboard, &principal);
    let page = page.with_nav(nav).with_user(user.unwrap_or(principal.user.clone()));
    let recent = AuditQuery::try_from(vec![("limit".to_owned(), RECENT_EVENTS.to_owned())])?;
    let rows = audit_rows(lang, read::page(&state, &recent).await?.items);
    // The snapshot is immutable and shared: the monitor's lock was held only to clone this Arc.
    let host = host_view(lang, &state.system.snapshot());
    let (nearest, failing_certificates) = crate::certificates::read::nearest(&state.db.read_models).await?;
    let nearest_certificate = nearest.map(|c| crate::certificates::pages::CertificateRow::new(&page, c));
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    Ok(DashboardPage { page, host, rows, view_box, nearest_certificate, failing_certificates }.into_response())
}
