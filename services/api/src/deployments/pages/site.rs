//! A site's page: its settings, what serves, its releases (Rollback on each one that does not serve), its
//! deployments, its webhook, and the actions: Deploy now and Rollback (operators), edit, delete and a new webhook
//! secret (admins, signed in, as the JSON routes need). A secret is shown once, in the answer to the POST that
//! made it (the new site, or the rotation), sent with `Cache-Control: no-store` and stored nowhere.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use lawha_domain::{deployments::Trigger, users::Role};
use serde::Deserialize;
use uuid::Uuid;

use super::{DeploymentRow, SiteRow, not_found, section_page, short, site_named, uuid, who};
use crate::{
    deployments::{
        DeployError,
        api::webhook_url,
        commands,
        read::{self, DeploymentView},
    },
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        ErrorPage, Page,
        kit::{Alerts, Done, Refused, when},
        request::PageRequest,
    },
    users::api::account::no_store,
};

/// How many deployments the site page lists.
const DEPLOYMENTS_SHOWN: i64 = 20;

/// A release as the site page shows it.
#[derive(Debug)]
pub struct ReleaseRow {
    /// Its id (the folder's name), which Rollback sends.
    pub id: String,
    /// The commit it was built from, and its first digits.
    pub commit: String,
    /// See `commit`.
    pub commit_short: String,
    /// When it was built, localized.
    pub built: String,
    /// What asked for the deployment that built it, in words.
    pub trigger: String,
    /// Who asked, or "—".
    pub who: String,
    /// The deployment that built it.
    pub deployment_id: String,
    /// Whether it serves now.
    pub live: bool,
}

/// The site page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "site.html")]
pub struct SitePage {
    /// Shared part.
    pub page: Page,
    /// The site.
    pub site: SiteRow,
    /// Its releases, newest first.
    pub releases: Vec<ReleaseRow>,
    /// Its last deployments, newest first.
    pub deployments: Vec<DeploymentRow>,
    /// Where GitHub posts.
    pub webhook_url: String,
    /// A webhook secret just made, shown this once.
    pub new_secret: Option<String>,
    /// Deploy now and Rollback are offered (operators).
    pub can_deploy: bool,
    /// Edit, delete and a new secret are offered (admins).
    pub can_edit: bool,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
}

impl SitePage {
    /// When the webhook secret was made or last replaced, localized.
    pub fn rotated(&self) -> String {
        when(self.page.lang, Some(&self.site.webhook_rotated_at))
    }
}

/// What a page answer adds beside the site: its status, alerts and a secret to show once.
#[derive(Debug)]
pub(crate) struct Shown {
    /// The answer's status.
    pub status: StatusCode,
    /// What was just done, or why it was refused.
    pub alerts: Alerts,
    /// A webhook secret to show this once.
    pub secret: Option<String>,
}

/// `GET /sites/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "site-title").await?;
    let alerts = Alerts::notice(done.notice(&page, "site-done", &["updated"]));
    let shown = Shown { status: StatusCode::OK, alerts, secret: None };
    render(&state, page, &principal, &headers, &id, shown).await
}

/// The site page for `id` (a 404 page when there is no such site).
pub(crate) async fn render(
    state: &AppState,
    page: Page,
    principal: &Principal,
    headers: &HeaderMap,
    id: &str,
    shown: Shown,
) -> Result<Response, ApiError> {
    let pool = &state.db.read_models;
    let Some(site) = site_named(state, id).await? else {
        return Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response());
    };
    let site_id = uuid(&site.id).unwrap_or_default();
    let deployments = read::site_deployments(pool, site_id, DEPLOYMENTS_SHOWN).await?;
    let mut releases = Vec::new();
    for release in read::releases(pool, site_id).await? {
        let built_by = match deployments.iter().find(|d| d.id == release.deployment_id) {
            Some(d) => Some(d.clone()),
            None => read::deployment(pool, uuid(&release.deployment_id).unwrap_or_default()).await?,
        };
        let commit = release.commit.unwrap_or_default();
        releases.push(ReleaseRow {
            commit_short: short(&commit),
            commit,
            built: when(page.lang, Some(&release.built_at)),
            trigger: page.t(&format!("deploy-trigger-{}", release.trigger_kind)),
            who: built_by.as_ref().map_or_else(|| "—".to_owned(), |d| who(&d.trigger)),
            id: release.release_id,
            deployment_id: release.deployment_id,
            live: release.live,
        });
    }
    let last = site.last_deployment_id.as_ref().and_then(|id| deployments.iter().find(|d| &d.id == id).cloned());
    let last = match (last, site.last_deployment_id.as_deref().and_then(uuid)) {
        (None, Some(id)) => read::deployment(pool, id).await?,
        (last, _) => last,
    };
    let rows = deployments.iter().map(|d: &DeploymentView| DeploymentRow::new(&page, d)).collect();
    let body = SitePage {
        site: SiteRow::new(&page, site, last.as_ref()),
        releases,
        deployments: rows,
        webhook_url: webhook_url(headers, site_id),
        new_secret: shown.secret,
        can_deploy: principal.level >= Role::Operator,
        can_edit: principal.level >= Role::Admin,
        alerts: shown.alerts,
        page,
    };
    Ok((shown.status, body).into_response())
}

/// The site page again with the refusal's message (a 404 page when the site is gone); a server error stays one.
async fn refused(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    headers: &HeaderMap,
    id: &str,
    e: DeployError,
) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "site-title").await?;
    let refused = Refused::of(page.lang, ApiError::from(e))?;
    let shown = Shown { status: refused.status, alerts: Alerts::error(refused.text), secret: None };
    render(state, page, principal, headers, id, shown).await
}

/// The Deploy now form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeployForm {
    /// A full commit SHA, or empty for the branch's head.
    commit: String,
}

/// `POST /sites/{id}/deploy` (operator): asks for a deployment, then shows its page.
pub async fn deploy(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<DeployForm>,
) -> Result<Response, ApiError> {
    let Some(site_id) = uuid(&id) else { return not_found(&request, &principal).await };
    let metadata = context.metadata();
    let commit = Some(form.commit.trim().to_owned()).filter(|c| !c.is_empty());
    let trigger = Trigger::Manual { actor: metadata.actor.clone().unwrap_or_default() };
    match commands::request_deploy(&state.db, site_id, Uuid::now_v7(), commit, trigger, &metadata).await {
        Ok(requested) => requested_page(&state, &request, requested.deployment_id, "deploy").await,
        Err(e) => refused(&state, &request, &principal, &headers, &id, e).await,
    }
}

/// The Rollback form of a release.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RollbackForm {
    /// The release to serve again.
    release_id: String,
}

/// `POST /sites/{id}/rollback` (operator): serves a release again, then shows the deployment that does it.
pub async fn rollback(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<RollbackForm>,
) -> Result<Response, ApiError> {
    let Some(site_id) = uuid(&id) else { return not_found(&request, &principal).await };
    let result = match uuid(form.release_id.trim()) {
        Some(release_id) => commands::request_rollback(&state.db, site_id, release_id, &context.metadata()).await,
        None => Err(DeployError::DeploymentMissing(crate::http::input::shown(&form.release_id))),
    };
    match result {
        Ok(requested) => requested_page(&state, &request, requested.deployment_id, "rollback").await,
        Err(e) => refused(&state, &request, &principal, &headers, &id, e).await,
    }
}

/// The deployment's page once the read model shows it.
async fn requested_page(
    state: &AppState,
    request: &PageRequest,
    deployment_id: Uuid,
    done: &str,
) -> Result<Response, ApiError> {
    read::wait_deployment(&state.db.read_models, deployment_id).await;
    Ok(request.prefix.redirect(&format!("/deployments/{deployment_id}?done={done}")).into_response())
}

/// `POST /sites/{id}/delete` (admin): the site goes; its deployments stay in the log.
pub async fn delete(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(site_id) = uuid(&id) else { return not_found(&request, &principal).await };
    match commands::delete_site(&state.db, site_id, &context.metadata()).await {
        Ok(()) => {
            read::wait_site_deleted(&state.db.read_models, site_id).await;
            Ok(request.prefix.redirect("/sites?done=deleted").into_response())
        }
        Err(e) => refused(&state, &request, &principal, &headers, &id, e).await,
    }
}

/// `POST /sites/{id}/webhook-secret` (admin): a new webhook secret, shown this once on the site page.
pub async fn rotate_secret(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(site_id) = uuid(&id) else { return not_found(&request, &principal).await };
    let seal = commands::seal_key(state.config.secret_key_bytes());
    match commands::rotate_webhook_secret(&state.db, &seal, site_id, &context.metadata()).await {
        Ok(secret) => {
            let page = section_page(&request, &principal, "site-title").await?;
            let alerts = Alerts::notice(Some(page.t("site-done-rotated")));
            let shown = Shown { status: StatusCode::OK, alerts, secret: Some(secret) };
            render(&state, page, &principal, &headers, &id, shown).await.map(no_store)
        }
        Err(e) => refused(&state, &request, &principal, &headers, &id, e).await,
    }
}
