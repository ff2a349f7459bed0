//! The server-rendered web UI's foundation: translations, the shared layout and the embedded assets.
//!
//! Every user-visible string comes from `locales/<lang>/main.ftl` through [`i18n::t`]; templates live in
//! `templates/` (askama, compiled in), the stylesheet and script in `assets/` (embedded, see [`assets`]).
//! Pages work without JavaScript; `app.js` only adds live updates and confirmations. Nothing is inline: the
//! Content-Security-Policy allows scripts and styles from `'self'` only.
//!
//! A handler builds a [`Page`] (language from [`Lang::negotiate`], the session's CSRF token, [`main_nav`], the
//! translated title, the user) and returns its template struct:
//!
//! ```ignore
//! async fn audit(...) -> AuditPage {
//!     let page = Page::new(lang, csrf, t(lang, "audit-title"))
//!         .with_nav(main_nav(lang, &prefix, Section::Audit, is_admin))
//!         .with_user(name);
//!     AuditPage { page, rows }
//! }
//! ```

pub mod assets;
pub mod form;
pub mod i18n;
pub mod kit;
mod page;
pub mod request;
mod templates;
pub mod units;

pub use i18n::{FluentValue, Lang, Translations, format_datetime, format_number, t, t_args};
pub use page::{NavItem, Page, Section, main_nav};
pub use templates::{BasePage, ErrorPage};

#[cfg(test)]
pub(crate) mod tests;
