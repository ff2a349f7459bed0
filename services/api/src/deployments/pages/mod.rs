//! The deployments pages (they work without JavaScript): the sites with what serves and their last deployment,
//! one site with its releases, deployments and actions (`site.rs`: Deploy now and Rollback for operators; edit,
//! delete and a new webhook secret for admins), the site form (`form/`), and a deployment's page with its steps
//! and its job's live log (`deployment.rs`). Roles follow the JSON routes' (`http/routes/deployments.rs`).

pub mod deployment;
pub mod form;
pub mod site;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    deployments::read::{self, DeploymentView, SiteView},
    http::{auth::Principal, error::ApiError},
    state::AppState,
    ui::{
        ErrorPage, Page, Section,
        kit::{Alerts, Done, say, when},
        request::{PageRequest, signed_in_nav},
    },
};

/// A page of the sites section, with its navigation and user.
pub(crate) async fn section_page(request: &PageRequest, principal: &Principal, title: &str) -> Result<Page, ApiError> {
    let (page, _) = request.page(title).await?;
    let nav = signed_in_nav(page.lang, &request.prefix, Section::Sites, principal);
    Ok(page.with_nav(nav).with_user(principal.user.clone()))
}

/// The 404 page of the section.
pub(crate) async fn not_found(request: &PageRequest, principal: &Principal) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "sites-title").await?;
    Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response())
}

/// An id from a path segment; `None` when it is not a UUID (the page answers 404).
pub(crate) fn uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// The live site a path segment names: None when it is no UUID or no such site.
pub(crate) async fn site_named(state: &AppState, id: &str) -> Result<Option<SiteView>, ApiError> {
    let Some(id) = uuid(id) else { return Ok(None) };
    Ok(read::site(&state.db.read_models, id).await?)
}

/// The first 12 digits of a commit, as the pages show it (the whole one is in the `title`).
pub fn short(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// Who asked for a deployment, as its trigger says: the pusher, the person or token, or "—".
fn who(trigger: &Value) -> String {
    ["pusher", "actor"]
        .iter()
        .find_map(|key| trigger.get(*key).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map_or_else(|| "—".to_owned(), str::to_owned)
}

/// Whether a deployment in this status may still change.
pub(crate) fn under_way(status: &str) -> bool {
    !matches!(status, "succeeded" | "failed")
}

/// A deployment as the tables show it.
#[derive(Debug)]
pub struct DeploymentRow {
    /// Its id, which links carry.
    pub id: String,
    /// `requested` … `failed`, for `data-status`.
    pub status: String,
    /// The status in words.
    pub status_label: String,
    /// `push`, `manual`, `rollback` or `follow_up`, for `data-trigger`.
    pub trigger_kind: String,
    /// The trigger in words.
    pub trigger: String,
    /// Who asked (the pusher, the person), or "—".
    pub who: String,
    /// The commit fetched, else the one asked for.
    pub commit: Option<String>,
    /// Its first digits.
    pub commit_short: Option<String>,
    /// When it was requested and ended, localized.
    pub requested: String,
    /// See `requested`.
    pub finished: String,
    /// How long it took, in words, once ended.
    pub duration: Option<String>,
    /// The step it failed at, in words.
    pub failed_step: Option<String>,
    /// Why it failed, in the page's language.
    pub reason: Option<String>,
}

impl DeploymentRow {
    pub(crate) fn new(page: &Page, d: &DeploymentView) -> Self {
        let commit = d.commit.clone().or_else(|| d.requested_commit.clone());
        let seconds = |from: &str, to: &str| {
            let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
            Some((parse(to)? - parse(from)?).num_milliseconds())
        };
        Self {
            id: d.id.clone(),
            status_label: page.t(&format!("deploy-status-{}", d.status)),
            status: d.status.clone(),
            trigger: page.t(&format!("deploy-trigger-{}", d.trigger_kind)),
            trigger_kind: d.trigger_kind.clone(),
            who: who(&d.trigger),
            commit_short: commit.as_deref().map(short),
            commit,
            requested: when(page.lang, Some(&d.requested_at)),
            finished: when(page.lang, d.finished_at.as_deref()),
            duration: d
                .finished_at
                .as_deref()
                .and_then(|end| seconds(&d.requested_at, end))
                .map(|ms| duration(page, ms)),
            failed_step: d.failed_step.as_ref().map(|s| page.t(&format!("deploy-step-{s}"))),
            reason: d.reason_message.as_ref().map(|m| say(page.lang, m)),
        }
    }
}

/// A length of time in seconds with a tenth, in the page's language.
pub(crate) fn duration(page: &Page, ms: i64) -> String {
    let seconds = crate::ui::units::format_decimal(page.lang, ms.max(0) as f64 / 1000.0, 1);
    page.t_with("deploy-duration", "seconds", &seconds)
}

/// A site as the list and its page show it.
#[derive(Debug)]
pub struct SiteRow {
    /// The site as the API shows it.
    pub site: SiteView,
    /// `deploying`, `serving` or `idle`, for `data-state`.
    pub state: String,
    /// The state in words.
    pub state_label: String,
    /// The runtime in words.
    pub runtime: String,
    /// The live colour in words.
    pub colour: Option<String>,
    /// The live commit's first digits.
    pub commit_short: Option<String>,
    /// Since when the live release serves, localized.
    pub live_since: String,
    /// Its last deployment.
    pub last: Option<DeploymentRow>,
}

impl std::ops::Deref for SiteRow {
    type Target = SiteView;

    fn deref(&self) -> &SiteView {
        &self.site
    }
}

impl SiteRow {
    pub(crate) fn new(page: &Page, site: SiteView, last: Option<&DeploymentView>) -> Self {
        let state = match (&last, &site.live_colour) {
            (Some(d), _) if under_way(&d.status) => "deploying",
            (_, Some(_)) => "serving",
            _ => "idle",
        };
        Self {
            state_label: page.t(&format!("site-state-{state}")),
            state: state.to_owned(),
            runtime: page.t(&format!("site-runtime-{}", site.runtime)),
            colour: site.live_colour.as_ref().map(|c| page.t(&format!("site-colour-{c}"))),
            commit_short: site.live_commit.as_deref().map(short),
            live_since: when(page.lang, site.live_since.as_deref()),
            last: last.map(|d| DeploymentRow::new(page, d)),
            site,
        }
    }
}

/// The sites page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "sites.html")]
pub struct SitesPage {
    /// Shared part.
    pub page: Page,
    /// The sites, by name.
    pub sites: Vec<SiteRow>,
    /// Whether the New site link is shown (admins).
    pub can_edit: bool,
    /// What was just done.
    pub alerts: Alerts,
}

/// `GET /sites` (viewer).
pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "sites-title").await?;
    let pool = &state.db.read_models;
    let mut last = read::last_deployments(pool).await?;
    let sites = read::list_sites(pool).await?;
    let sites = sites
        .into_iter()
        .map(|site| {
            let last = last.remove(&site.id);
            SiteRow::new(&page, site, last.as_ref())
        })
        .collect();
    let alerts = Alerts::notice(done.notice(&page, "site-done", &["deleted"]));
    Ok(SitesPage { can_edit: principal.level >= Role::Admin, page, sites, alerts }.into_response())
}
