//! The page kit: what every page handler uses besides its own read and template. The notice of what a form just
//! did (`?done=…`), a refused request as the page shows it (its sentence in the page's language, the status to
//! answer with), the alerts every page's template includes (`templates/alerts.html`), and times and messages
//! in the page's language.

use axum::http::StatusCode;
use lawha_domain::Message;
use serde::Deserialize;

use super::{Lang, Page, i18n};
use crate::http::error::ApiError;

/// `?done=<what>` after a change: a page redirects there after a successful form, and shows the notice.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    /// The notice `<prefix>-<what>` (`backup-done-created`) when `what` is one of `known`; nothing otherwise (a
    /// link someone made up shows no notice).
    pub fn notice(&self, page: &Page, prefix: &str, known: &[&str]) -> Option<String> {
        let done = self.done.as_deref().filter(|d| known.contains(d))?;
        Some(page.t(&format!("{prefix}-{done}")))
    }
}

/// What a page shows above its content: what was just done, and why the last action was refused.
#[derive(Debug, Default)]
pub struct Alerts {
    /// What a form just did, in the page's language.
    pub notice: Option<String>,
    /// Why the last action was refused, in the page's language.
    pub error: Option<String>,
}

impl Alerts {
    /// A notice only.
    pub fn notice(notice: Option<String>) -> Self {
        Self { notice, error: None }
    }

    /// A refusal only.
    pub fn error(error: impl Into<String>) -> Self {
        Self { notice: None, error: Some(error.into()) }
    }
}

/// A refused request as a page shows it: the status to answer with and the sentence. A fault of ours (5xx)
/// stays an error, which becomes the error page.
#[derive(Debug)]
pub struct Refused {
    /// The status the page is sent with (the API's for the same refusal).
    pub status: StatusCode,
    /// The sentence, in the page's language.
    pub text: String,
}

impl Refused {
    /// The refusal of `error` in `lang`, or `error` itself when it is a fault of ours.
    pub fn of(lang: Lang, error: ApiError) -> Result<Self, ApiError> {
        if !error.is_refusal() {
            return Err(error);
        }
        Ok(Self { status: error.status(), text: refusal_text(lang, &error) })
    }
}

/// The sentence a page shows for a refused request: the page's own words for the error's code
/// (`error-code-<code>`) when it has them, else the error's message in the page's language.
pub fn refusal_text(lang: Lang, error: &ApiError) -> String {
    let id = format!("error-code-{}", error.code());
    if i18n::Translations::get().has(lang, &id) { i18n::t(lang, &id) } else { i18n::render(lang, error.message()) }
}

/// A message in the page's language.
pub fn say(lang: Lang, message: &Message) -> String {
    i18n::render(lang, message)
}

/// A time from the API's RFC 3339 text, in the page's language; "—" when there is none.
pub fn when(lang: Lang, at: Option<&str>) -> String {
    at.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| "—".to_owned(), |t| i18n::format_datetime(lang, t.with_timezone(&chrono::Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_notices_are_shown() {
        let page = Page::new(Lang::En, "", "t");
        let done = Done { done: Some("created".into()) };
        assert_eq!(done.notice(&page, "users-done", &["created", "role"]), Some(page.t("users-done-created")));
        assert_eq!(done.notice(&page, "users-done", &["role"]), None);
        assert_eq!(Done::default().notice(&page, "users-done", &["created"]), None);
    }

    #[test]
    fn a_refusal_uses_the_pages_own_words_when_it_has_them() {
        let wrong = ApiError::from(crate::users::UserError::WrongPassword);
        assert_eq!(refusal_text(Lang::Ar, &wrong), i18n::t(Lang::Ar, "error-code-wrong_password"));
        let refused = Refused::of(Lang::En, wrong).unwrap();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let internal = ApiError::internal(&std::io::Error::other("boom"));
        assert!(Refused::of(Lang::En, internal).is_err(), "a fault of ours stays an error");
    }
}
