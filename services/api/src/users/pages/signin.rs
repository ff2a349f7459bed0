//! The sign-in page: the password step and the code step of a two-factor sign-in, and the page again with
//! what went wrong.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::{
    http::error::ApiError,
    ui::{Page, request::PageRequest},
    users::session,
};

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
#[utoipa::path(get, path = "/login", tag = "session",
    responses((status = 200, description = "The sign-in page (the code step while a two-factor sign-in waits for it)", content_type = "text/html", body = String),
              (status = 303, description = "Already signed in: on to the overview")))]
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
