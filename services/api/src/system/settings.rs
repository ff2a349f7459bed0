//! The settings page (the language choice, the session limits and, for admins, the effective configuration)
//! and the language switch every page's header posts to.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use lawha_domain::users::Role;
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    http::{
        auth::Principal,
        entrance::UiPrefix,
        error::{ApiError, HttpRefusal},
    },
    state::AppState,
    ui::{
        Lang, Page, Section,
        request::{LANG_KEY, PageRequest, signed_in_nav},
    },
};

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
        return Err(HttpRefusal::InvalidLanguage(form.lang).into());
    };
    session.insert(LANG_KEY, lang.code()).await?;
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
