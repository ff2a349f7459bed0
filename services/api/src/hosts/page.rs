//! The hosts page (`GET /hosts`, viewer): every machine whose deploy worker runs sites, with its state, last
//! heartbeat, labels, runtimes, version and sites; the panel's own first. Nothing to change here: a host appears
//! when its worker starts (`deployments.host` on that machine).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::State,
    response::{IntoResponse, Response},
};

use super::read::{self, HostView};
use crate::{
    http::{auth::Principal, error::ApiError},
    state::AppState,
    ui::{
        Lang, Page, Section,
        kit::when,
        request::{PageRequest, signed_in_nav},
    },
};

/// A host as the table shows it.
#[derive(Debug)]
pub struct HostRow {
    /// The host as the API shows it.
    pub host: HostView,
    /// Its state in words.
    pub state_label: String,
    /// The last heartbeat, localized.
    pub last_seen: String,
    /// When its worker last started, localized.
    pub registered: String,
    /// Its runtimes in words, joined.
    pub runtimes: String,
}

/// The hosts page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "hosts.html")]
pub struct HostsPage {
    /// Shared part.
    pub page: Page,
    /// The hosts.
    pub hosts: Vec<HostRow>,
}

/// `GET /hosts`.
pub async fn list(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("hosts-title").await?;
    let nav = signed_in_nav(page.lang, &request.prefix, Section::Hosts, &principal);
    let page = page.with_nav(nav).with_user(principal.user.clone());
    let hosts = read::list(&state.db.read_models, &state.config.deployments.host).await?;
    let comma = if page.lang == Lang::Ar { "، " } else { ", " };
    let hosts = hosts
        .into_iter()
        .map(|host| HostRow {
            state_label: page.t(&format!("host-state-{}", host.state)),
            last_seen: when(page.lang, host.last_seen.as_deref()),
            registered: when(page.lang, host.registered_at.as_deref()),
            runtimes: host
                .runtimes
                .iter()
                .map(|r| page.t(&format!("site-runtime-{r}")))
                .collect::<Vec<_>>()
                .join(comma),
            host,
        })
        .collect();
    Ok(HostsPage { page, hosts }.into_response())
}
