//! The server-rendered pages (they work without JavaScript): sign-in, the audit log, the language switch and the
//! static assets (the dashboard is in `dashboard/`). Each is a short script: session → page context → one read →
//! template.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use lawha_domain::users::Role;

use super::{
    audit::{self, AuditItem, AuditQuery},
    auth::Principal,
    entrance::UiPrefix,
    error::ApiError,
};
use crate::{
    session,
    state::AppState,
    ui::{Lang, NavItem, Page, Section, assets, i18n, main_nav},
};

/// The session key of the user's language choice.
pub const LANG_KEY: &str = "lang";

/// What a page handler reads from its request: the session, the languages the browser accepts, the UI's path
/// prefix (the security entrance) and how long a sign-in lasts.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The session (language choice, CSRF token, signed-in user).
    pub session: Session,
    /// The prefix every link and redirect starts with.
    pub prefix: UiPrefix,
    /// The `Accept-Language` header, for a visitor who has not chosen a language.
    accept_language: Option<String>,
    /// `session.absolute_timeout_secs`.
    absolute_secs: u64,
}

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| ApiError::internal(&std::io::Error::other(message)))?;
        let prefix = parts.extensions.get::<UiPrefix>().cloned().unwrap_or_default();
        let accept_language =
            parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Self { session, prefix, accept_language, absolute_secs: state.config.session.absolute_timeout_secs })
    }
}

impl PageRequest {
    /// The signed-in user, if any (ending a session past its absolute timeout).
    pub async fn user(&self) -> Result<Option<String>, ApiError> {
        session::signed_in_user(&self.session, self.absolute_secs).await.map_err(|e| ApiError::internal(&e))
    }

    /// The page's shared part (language, CSRF token, title, prefix) and the signed-in user.
    pub async fn page(&self, title_id: &str) -> Result<(Page, Option<String>), ApiError> {
        let fail = |e: tower_sessions::session::Error| ApiError::internal(&e);
        let choice = self.session.get::<String>(LANG_KEY).await.map_err(fail)?;
        let lang = Lang::negotiate(choice.as_deref(), self.accept_language.as_deref());
        let csrf = session::csrf_token(&self.session).await.map_err(fail)?;
        let user = self.user().await?;
        let page = Page::new(lang, csrf, i18n::t(lang, title_id)).with_prefix(self.prefix.as_str());
        Ok((page, user))
    }
}

/// The navigation of a signed-in principal: the users page only for admins.
pub(crate) fn signed_in_nav(lang: Lang, prefix: &UiPrefix, current: Section, principal: &Principal) -> Vec<NavItem> {
    main_nav(lang, prefix.as_str(), current, principal.level >= Role::Admin)
}

/// The sign-in page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Shared part.
    pub page: Page,
    /// What went wrong, in the page's language.
    pub error: Option<String>,
    /// The name typed, kept after a failure.
    pub username: String,
    /// Whether this is the second step (a code after the password).
    pub second_factor: bool,
}

/// `GET /login`.
pub async fn login_page(request: PageRequest) -> Result<Response, ApiError> {
    let (page, user) = request.page("sign-in-title").await?;
    if user.is_some() {
        return Ok(request.prefix.redirect("/").into_response());
    }
    let pending = session::pending_second_factor(&request.session).await.map_err(|e| ApiError::internal(&e))?;
    Ok(LoginPage { page, error: None, username: String::new(), second_factor: pending.is_some() }.into_response())
}

/// Renders the sign-in page again after a failed attempt, with `status`.
pub async fn login_failed(
    request: &PageRequest,
    username: &str,
    status: StatusCode,
    error_id: Option<&str>,
    second_factor: bool,
) -> Response {
    match request.page("sign-in-title").await {
        Ok((page, _)) => {
            let error = error_id.map(|id| page.t(id));
            (status, LoginPage { page, error, username: username.to_owned(), second_factor }).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// One row as the audit page shows it.
#[derive(Debug)]
pub struct AuditRow {
    /// Position (links to the raw event).
    pub position: i64,
    /// RFC 3339, for `<time datetime>`.
    pub recorded_at: String,
    /// Localized time.
    pub time: String,
    /// Actor or "—".
    pub actor: String,
    /// IP or "—".
    pub ip: String,
    /// Event type.
    pub event_type: String,
    /// Stream.
    pub target: String,
    /// Summary.
    pub summary: String,
}

/// The audit page's rows for `items`, times written in `lang`; the dashboard's recent activity uses them too.
pub(super) fn audit_rows(lang: Lang, items: Vec<AuditItem>) -> Vec<AuditRow> {
    let dash = || "—".to_owned();
    items
        .into_iter()
        .map(|item| AuditRow {
            time: chrono::DateTime::parse_from_rfc3339(&item.recorded_at)
                .map(|t| i18n::format_datetime(lang, t.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|_| item.recorded_at.clone()),
            position: item.position,
            recorded_at: item.recorded_at,
            actor: item.actor.unwrap_or_else(dash),
            ip: item.ip.unwrap_or_else(dash),
            summary: i18n::summary(lang, &item.event_type, &item.summary),
            event_type: item.event_type,
            target: item.target,
        })
        .collect()
}

/// The filters as typed, to fill the form again.
#[derive(Debug, Default)]
pub struct TypedFilters {
    actor: String,
    event_type: String,
    stream: String,
    since: String,
    until: String,
    q: String,
}

impl TypedFilters {
    /// The form's values from the query pairs (the last value of a key wins; unknown keys are the parser's
    /// business, which reports them).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut filters = Self::default();
        for (key, value) in pairs {
            let field = match key.as_str() {
                "actor" => &mut filters.actor,
                "event_type" => &mut filters.event_type,
                "stream" => &mut filters.stream,
                "since" => &mut filters.since,
                "until" => &mut filters.until,
                "q" => &mut filters.q,
                _ => continue,
            };
            field.clone_from(value);
        }
        filters
    }
}

/// The audit log page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditLogPage {
    /// Shared part.
    pub page: Page,
    /// The form's values.
    pub filters: TypedFilters,
    /// A message when the filters are invalid.
    pub error: Option<String>,
    /// The rows, newest first.
    pub rows: Vec<AuditRow>,
    /// The next page's link.
    pub next_href: Option<String>,
    /// The filters as a query string for the export links.
    pub export_query: String,
    /// Whether new events are pushed into the table (the unfiltered first page only).
    pub live: bool,
    /// The last verification of the audit chain.
    pub chain: Option<ChainStatusView>,
    /// Whether the viewer may ask for a verification now (admins).
    pub can_verify: bool,
    /// What the page's form just did ("verification queued").
    pub notice: Option<String>,
}

/// The chain status as the page shows it.
#[derive(Debug)]
pub struct ChainStatusView {
    /// Localized time of the last check.
    pub at: String,
    /// Intact?
    pub ok: bool,
    /// Events checked.
    pub events: i64,
    /// First failing position.
    pub position: i64,
    /// Who asked.
    pub actor: String,
}

/// `GET /audit` (viewer).
pub async fn audit_page(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (page, user) = request.page("audit-title").await?;
    let lang = page.lang;
    let nav = signed_in_nav(lang, &request.prefix, Section::Audit, &principal);
    let page = page.with_nav(nav).with_user(user.unwrap_or_else(|| principal.user.clone()));
    let chain = super::audit_chain::last_status(&state).await?.map(|c| ChainStatusView {
        at: i18n::format_datetime(lang, c.at),
        ok: c.ok,
        events: c.events,
        position: c.position,
        actor: c.actor,
    });
    let can_verify = principal.level >= Role::Admin;
    // `done` says what the page's own form just did; it is not a filter.
    let notice = raw.iter().any(|(k, v)| k == "done" && v == "verify-queued").then(|| page.t("audit-chain-queued"));
    let raw: Vec<(String, String)> = raw.into_iter().filter(|(k, _)| k != "done").collect();
    let pairs: Vec<(String, String)> = raw.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
    let filters = TypedFilters::from_pairs(&pairs);
    let export_query =
        serde_urlencoded::to_string(pairs.iter().filter(|(k, _)| k != "before" && k != "limit").collect::<Vec<_>>())
            .unwrap_or_default();
    let (rows, next, error) = match AuditQuery::try_from(raw) {
        Ok(query) => match audit::page(&state, &query).await {
            Ok(result) => (result.items, result.next_before, None),
            Err(e) if e.status().is_client_error() => (vec![], None, Some(e.message().to_owned())),
            Err(e) => return Err(e),
        },
        Err(e) => (vec![], None, Some(e.to_string())),
    };
    let rows = audit_rows(lang, rows);
    let live = pairs.is_empty();
    let next_href = next.map(|before| {
        let mut next_pairs: Vec<_> = pairs.iter().filter(|(k, _)| k != "before").cloned().collect();
        next_pairs.push(("before".into(), before.to_string()));
        request.prefix.join(&format!("/audit?{}", serde_urlencoded::to_string(next_pairs).unwrap_or_default()))
    });
    let page_data =
        AuditLogPage { page, filters, error, rows, next_href, export_query, live, chain, can_verify, notice };
    Ok(page_data.into_response())
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    /// `en` or `ar`.
    pub lang: String,
}

/// `POST /settings/language`: remembers the choice in the session and goes back.
pub async fn set_language(
    session: Session,
    headers: HeaderMap,
    prefix: UiPrefix,
    Form(form): Form<LanguageForm>,
) -> Result<Response, ApiError> {
    let Some(lang) = Lang::from_tag(&form.lang) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_language",
            format!("unknown language {:?}; use en or ar", form.lang),
        ));
    };
    session.insert(LANG_KEY, lang.code()).await.map_err(|e| ApiError::internal(&e))?;
    // Back to the page the form was on, but only on this site and under the UI's prefix.
    let home = prefix.join("/");
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .filter(|path| prefix.as_str().is_empty() || path.starts_with(&home))
        .unwrap_or(home);
    Ok(Redirect::to(&back).into_response())
}

/// `GET /assets/{file}`: the UI's own CSS and script, cached for a year (links carry a content hash).
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let (Some((content_type, bytes)), Some(etag)) = (assets::get(&file), assets::etag(&file)) else {
        return ApiError::not_found().into_response();
    };
    let quoted = format!("\"{etag}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(quoted.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(assets::CACHE_CONTROL));
    if let Ok(value) = HeaderValue::from_str(&quoted) {
        h.insert(header::ETAG, value);
    }
    response
}

/// The settings page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    /// Shared part.
    pub page: Page,
    /// The configuration profile.
    pub profile: String,
    /// The idle timeout of sessions, in minutes.
    pub idle_minutes: i64,
    /// The absolute timeout of sessions, in hours.
    pub absolute_hours: i64,
    /// The effective configuration with secrets redacted (admins only).
    pub effective: Option<String>,
}

/// `GET /settings` (viewer): the language choice, the session limits and, for admins, the effective
/// configuration (secrets redacted, as `lawha config check` prints it).
pub async fn settings_page(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("settings-title").await?;
    let lang = page.lang;
    let nav = signed_in_nav(lang, &request.prefix, Section::Settings, &principal);
    let page = page.with_nav(nav).with_user(principal.user.clone());
    let admin = principal.level >= Role::Admin;
    let limits = &state.config.session;
    Ok(SettingsPage {
        page,
        profile: state.config.profile.to_string(),
        idle_minutes: i64::try_from(limits.idle_timeout_secs / 60).unwrap_or(i64::MAX),
        absolute_hours: i64::try_from(limits.absolute_timeout_secs / 3600).unwrap_or(i64::MAX),
        effective: admin.then(|| state.config.render_effective()),
    }
    .into_response())
}
