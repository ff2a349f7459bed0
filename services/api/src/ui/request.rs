//! The page kit's request side: what every page handler reads from its request (the session, the language, the
//! UI's prefix) and the navigation of a signed-in principal.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use lawha_domain::users::Role;
use tower_sessions::Session;

use crate::{
    http::{auth::Principal, entrance::UiPrefix, error::ApiError},
    state::AppState,
    ui::{Lang, NavItem, Page, Section, i18n, main_nav},
    users::session,
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
