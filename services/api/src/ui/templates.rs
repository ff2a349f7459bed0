//! The template structs: one per file under `templates/`, each holding the shared [`Page`] as `page`.
//!
//! A page template starts with `{% extends "base.html" %}` and fills `{% block content %}`; its struct derives
//! `Template` and `WebTemplate`, so a handler returns it as is (200, `text/html; charset=utf-8`; a template
//! that fails to render becomes a plain 500).

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::i18n;
use super::page::Page;

/// The bare layout with an empty content block; a page template's struct looks like this plus its own fields.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "base.html")]
pub struct BasePage {
    /// The shared part.
    pub page: Page,
}

/// The page for a 4xx/5xx answer to a browser: a title and a sentence for the status, and a link home.
///
/// It answers with its own status, unlike the page structs: a handler returns `ErrorPage::new(page, status)`.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The shared part; its title is the status's title.
    pub page: Page,
    /// The response's status.
    pub status: StatusCode,
    /// The sentence under the title.
    pub message: String,
}

impl ErrorPage {
    /// The error page for `status`, titled and explained in the page's language. Statuses without their own
    /// text borrow the one of their class (400 for 4xx, 500 for the rest).
    pub fn new(mut page: Page, status: StatusCode) -> ErrorPage {
        let key = match status.as_u16() {
            code @ (400 | 401 | 403 | 404 | 500) => code,
            400..=499 => 400,
            _ => 500,
        };
        page.title = i18n::t(page.lang, &format!("error-{key}-title"));
        let message = i18n::t(page.lang, &format!("error-{key}-text"));
        ErrorPage { page, status, message }
    }

    /// The "Error 404" line, with the number in the page's digits.
    pub fn status_line(&self) -> String {
        self.page.t_num("error-status", "status", i64::from(self.status.as_u16()))
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut response = askama_web::WebTemplate(self).into_response();
        // A rendering failure is already a 500; otherwise the page carries the status it describes.
        if response.status().is_success() {
            *response.status_mut() = status;
        }
        response
    }
}
