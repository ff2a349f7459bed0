//! The part every page shares: language, CSRF token, navigation, title and the signed-in user.

use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;

use super::assets;
use super::i18n::{self, Lang};

/// What `base.html` needs from every page struct, which holds it as its `page` field.
#[derive(Debug, Clone)]
pub struct Page {
    /// The language of the response: the page's text, `<html lang dir>` and number formats follow it.
    pub lang: Lang,
    /// The session's CSRF token, written into every form the layout renders (sign-out, language switch).
    pub csrf: String,
    /// The main navigation; empty on pages shown before sign-in, and then no `<nav>` is rendered.
    pub nav: Vec<NavItem>,
    /// The page's own title, already translated; the `<title>` adds the application's name.
    pub title: String,
    /// The signed-in user's name, shown in the header beside the sign-out button.
    pub user: Option<String>,
    /// The path prefix the UI lives under: empty, or the security entrance (`/s3cr3t`, no trailing slash).
    /// Every link the layout writes starts with it.
    pub prefix: String,
}

/// One link of the main navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavItem {
    /// Where it leads, prefix included.
    pub href: String,
    /// Its text, already translated.
    pub label: String,
    /// Whether it is the page being shown (rendered as `aria-current="page"`).
    pub current: bool,
}

/// The sections of the main navigation, for [`main_nav`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Audit,
    Jobs,
    Backups,
    Sites,
    Certificates,
    Hosts,
    Users,
    Account,
    Settings,
    /// A page outside the navigation (an error page): no link is marked current.
    Other,
}

impl Section {
    /// The section's path under the UI prefix and the message id of its label.
    fn route(self) -> Option<(&'static str, &'static str)> {
        match self {
            Section::Dashboard => Some(("/", "nav-dashboard")),
            Section::Audit => Some(("/audit", "nav-audit")),
            Section::Jobs => Some(("/jobs", "nav-jobs")),
            Section::Backups => Some(("/backups", "nav-backups")),
            Section::Sites => Some(("/sites", "nav-sites")),
            Section::Certificates => Some(("/certificates", "nav-certificates")),
            Section::Hosts => Some(("/hosts", "nav-hosts")),
            Section::Users => Some(("/users", "nav-users")),
            Section::Account => Some(("/account", "nav-account")),
            Section::Settings => Some(("/settings", "nav-settings")),
            Section::Other => None,
        }
    }
}

/// The signed-in navigation: dashboard, audit log, jobs, backups, sites, hosts, users (only when `show_users`, i.e. for admins),
/// account and settings, with `current` marked.
pub fn main_nav(lang: Lang, prefix: &str, current: Section, show_users: bool) -> Vec<NavItem> {
    [
        Section::Dashboard,
        Section::Audit,
        Section::Jobs,
        Section::Backups,
        Section::Sites,
        Section::Certificates,
        Section::Hosts,
        Section::Users,
        Section::Account,
        Section::Settings,
    ]
    .into_iter()
    .filter(|section| show_users || *section != Section::Users)
    .filter_map(|section| {
        let (path, label) = section.route()?;
        Some(NavItem { href: format!("{prefix}{path}"), label: i18n::t(lang, label), current: section == current })
    })
    .collect()
}

impl Page {
    /// A page in `lang` titled `title` (already translated), with no navigation, no user and no prefix.
    pub fn new(lang: Lang, csrf: impl Into<String>, title: impl Into<String>) -> Page {
        Page { lang, csrf: csrf.into(), nav: Vec::new(), title: title.into(), user: None, prefix: String::new() }
    }

    /// Sets the main navigation.
    pub fn with_nav(mut self, nav: Vec<NavItem>) -> Page {
        self.nav = nav;
        self
    }

    /// Sets the signed-in user.
    pub fn with_user(mut self, user: impl Into<String>) -> Page {
        self.user = Some(user.into());
        self
    }

    /// Sets the UI's path prefix (the security entrance).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Page {
        self.prefix = prefix.into();
        self
    }

    /// The message `id` in the page's language, for templates: `{{ page.t("nav-audit") }}`.
    pub fn t(&self, id: &str) -> String {
        i18n::t(self.lang, id)
    }

    /// A message with one text placeable, for templates: `{{ page.t_with("header-signed-in-as", "user", name) }}`.
    pub fn t_with(&self, id: &str, name: &str, value: &str) -> String {
        i18n::t_args(self.lang, id, &[(name, FluentValue::from(value))])
    }

    /// A message with one number placeable, for templates: `{{ page.t_num("audit-chain-broken", "position", 7) }}`.
    pub fn t_num(&self, id: &str, name: &str, value: impl std::borrow::Borrow<i64>) -> String {
        i18n::t_args(self.lang, id, &[(name, FluentValue::from(*value.borrow()))])
    }

    /// A number in the page's language.
    pub fn number(&self, value: impl std::borrow::Borrow<i64>) -> String {
        i18n::format_number(self.lang, *value.borrow())
    }

    /// A moment in the page's language.
    pub fn datetime(&self, at: &DateTime<Utc>) -> String {
        i18n::format_datetime(self.lang, *at)
    }

    /// The document's `<title>`: the page's title and the application's name.
    pub fn document_title(&self) -> String {
        if self.title.is_empty() { self.t("app-name") } else { self.t_with("document-title", "page", &self.title) }
    }

    /// The URL of an embedded asset, versioned by its content hash so that it can be cached for a year and
    /// still change with each release.
    pub fn asset_url(&self, name: &str) -> String {
        match assets::etag(name) {
            Some(etag) => format!("{}/assets/{name}?v={etag}", self.prefix),
            None => format!("{}/assets/{name}", self.prefix),
        }
    }

    /// The languages the footer's switch offers, with each one's name in itself.
    pub fn other_langs(&self) -> Vec<(&'static str, String)> {
        self.lang.others().map(|other| (other.code(), i18n::t(other, "language-endonym"))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_nav_marks_the_current_section_and_hides_users_from_non_admins() {
        let nav = main_nav(Lang::En, "/entrance", Section::Audit, false);
        let hrefs: Vec<_> = nav.iter().map(|item| item.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "/entrance/",
                "/entrance/audit",
                "/entrance/jobs",
                "/entrance/backups",
                "/entrance/sites",
                "/entrance/certificates",
                "/entrance/hosts",
                "/entrance/account",
                "/entrance/settings"
            ]
        );
        let current: Vec<_> = nav.iter().filter(|item| item.current).map(|item| item.label.as_str()).collect();
        assert_eq!(current, ["Audit log"]);
        assert_eq!(main_nav(Lang::Ar, "", Section::Other, true).len(), 10);
    }

    #[test]
    fn the_document_title_names_the_application() {
        let page = Page::new(Lang::En, "token", "Audit log");
        assert_eq!(page.document_title().replace(['\u{2068}', '\u{2069}'], ""), "Audit log — Lawha");
        assert_eq!(Page::new(Lang::Ar, "token", "").document_title(), "لوحة");
    }
}
