//! The server-rendered pages (they work without JavaScript): sign-in, the audit log, the language switch and the
//! static assets (the dashboard is in `dashboard/`). Each is a short script: session → page context → one read →
//! template.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    audit::{self, AuditItem, AuditQuery},
    error::ApiError,
};
use crate::{
    session,
    state::AppState,
    ui::{Lang, NavItem, Page, Section, assets, i18n, main_nav},
};

/// The session key of the user's language choice.
pub const LANG_KEY: &str = "lang";

/// The language, CSRF token and user of this request, as a page needs them.
pub(super) async fn page(
    session: &Session,
    headers: &HeaderMap,
    title_id: &str,
) -> Result<(Page, Option<String>), ApiError> {
    let fail = |e: tower_sessions::session::Error| ApiError::internal(&e);
    let choice = session.get::<String>(LANG_KEY).await.map_err(fail)?;
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(choice.as_deref(), accept);
    let csrf = session::csrf_token(session).await.map_err(fail)?;
    let user = session::signed_in_user(session).await.map_err(fail)?;
    let page = Page::new(lang, csrf, i18n::t(lang, title_id));
    Ok((page, user))
}

/// Only the sections that have pages so far appear in the navigation: the dashboard and the audit log.
pub(super) fn nav(lang: Lang, current: Section) -> Vec<NavItem> {
    main_nav(lang, "", current, false).into_iter().filter(|item| item.href == "/" || item.href == "/audit").collect()
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
}

/// `GET /login`.
pub async fn login_page(session: Session, headers: HeaderMap) -> Result<Response, ApiError> {
    let (page, user) = page(&session, &headers, "sign-in-title").await?;
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(LoginPage { page, error: None, username: String::new() }.into_response())
}

/// Renders the sign-in page again after a failed attempt, with `status`.
pub async fn login_failed(
    session: &Session,
    headers: &HeaderMap,
    username: &str,
    status: StatusCode,
    error_id: &str,
) -> Response {
    match page(session, headers, "sign-in-title").await {
        Ok((page, _)) => {
            let error = Some(page.t(error_id));
            (status, LoginPage { page, error, username: username.to_owned() }).into_response()
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
            event_type: item.event_type,
            target: item.target,
            summary: item.summary,
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
}

/// `GET /audit` (viewer).
pub async fn audit_page(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    raw: Query<Vec<(String, String)>>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (page, user) = page(&session, &headers, "audit-title").await?;
    let lang = page.lang;
    let page = page.with_nav(nav(lang, Section::Audit)).with_user(user.unwrap_or_default());
    let pairs: Vec<(String, String)> = raw.0.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let filters = TypedFilters::from_pairs(&pairs);
    let export_query =
        serde_urlencoded::to_string(pairs.iter().filter(|(k, _)| k != "before" && k != "limit").collect::<Vec<_>>())
            .unwrap_or_default();
    let (rows, next, error) = match query.map_err(|r| audit::rejected(&r)) {
        Ok(Query(query)) => match audit::page(&state, &query).await {
            Ok(result) => (result.items, result.next_before, None),
            Err(e) if e.status().is_client_error() => (vec![], None, Some(e.message().to_owned())),
            Err(e) => return Err(e),
        },
        Err(e) => (vec![], None, Some(e.message().to_owned())),
    };
    let rows = audit_rows(lang, rows);
    let live = pairs.is_empty();
    let next_href = next.map(|before| {
        let mut next_pairs: Vec<_> = pairs.iter().filter(|(k, _)| k != "before").cloned().collect();
        next_pairs.push(("before".into(), before.to_string()));
        format!("/audit?{}", serde_urlencoded::to_string(next_pairs).unwrap_or_default())
    });
    Ok(AuditLogPage { page, filters, error, rows, next_href, export_query, live }.into_response())
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
    // Back to the page the form was on, but only on this site.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
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
