//! The first-start setup link (development only): `GET /setup/{token}` shows a form for the first admin while
//! the token is valid and no user exists, `POST /setup/{token}` creates that admin, uses up the token, signs
//! the admin in and goes home. Anything else about a setup URL is the 404 of an unknown path. The token rules
//! live in [`super::token`].

use std::{net::SocketAddr, time::Duration};

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use lawha_domain::users::{Role, UserName, UserRejection};
use serde::Deserialize;

use super::token as setup;
use crate::{
    http::{
        context::RequestContext,
        error::{ApiError, HttpRefusal},
    },
    state::AppState,
    ui::{FluentValue, Lang, Page, i18n, request::PageRequest},
    users::{self, UserError, credentials, session},
};

/// The setup form.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "setup.html")]
pub struct SetupPage {
    /// Shared part.
    pub page: Page,
    /// The token, for the form's action (the page's own URL).
    pub token: String,
    /// The name typed, kept after a failure.
    pub name: String,
    /// What is wrong with what was typed, in the page's language.
    pub errors: Vec<String>,
}

impl SetupPage {
    /// The shortest password accepted, for the form's hint and `minlength`.
    pub fn min_password(&self) -> i64 {
        i64::try_from(credentials::MIN_PASSWORD_CHARS).unwrap_or(i64::MAX)
    }
}

/// The fields of the setup form (the CSRF field is read by the CSRF layer).
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    /// The first admin's user name.
    pub name: String,
    /// The password.
    pub password: String,
    /// The password again.
    pub confirm: String,
}

/// Whether the setup page may be shown: the token is valid and nobody has an account yet.
async fn open(state: &AppState, token: &str) -> Result<bool, ApiError> {
    let pool = &state.db.read_models;
    let fail = |e: sqlx::Error| ApiError::internal(&e);
    Ok(setup::is_valid(pool, token, Utc::now()).await.map_err(fail)?
        && !setup::any_user(&state.db).await.map_err(|e| ApiError::internal(&e))?)
}

/// `GET /setup/{token}`.
pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: PageRequest,
) -> Result<Response, ApiError> {
    if !open(&state, &token).await? {
        return Err(ApiError::from(HttpRefusal::NotFound));
    }
    let (page, _) = request.page("setup-title").await?;
    Ok(SetupPage { page, token, name: String::new(), errors: Vec::new() }.into_response())
}

/// `POST /setup/{token}`: 303 to the home page, signed in as the new admin; 422 with the form and its
/// messages for bad input; 404 when the token is not (or no longer) valid or a user exists.
pub async fn create(
    State(state): State<AppState>,
    Path(token): Path<String>,
    context: RequestContext,
    request: PageRequest,
    Form(form): Form<SetupForm>,
) -> Result<Response, ApiError> {
    if !open(&state, &token).await? {
        return Err(ApiError::from(HttpRefusal::NotFound));
    }
    let (page, _) = request.page("setup-title").await?;
    let name = form.name.trim().to_owned();
    let errors = problems(page.lang, &name, &form);
    if !errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, SetupPage { page, token, name, errors }).into_response());
    }
    let pool = &state.db.read_models;
    let fail = |e: sqlx::Error| ApiError::internal(&e);
    // Taking the token out first makes it single-use even against a concurrent POST; it goes back if the
    // admin cannot be created, so a failure leaves everything as it was.
    let Some(claim) = setup::claim(pool, &token, Utc::now()).await.map_err(fail)? else {
        return Err(ApiError::from(HttpRefusal::NotFound));
    };
    let mut metadata = context.metadata();
    metadata.actor = Some("setup".to_owned());
    if let Err(error) = users::create_user(&state.db, &name, Role::Admin, &form.password, &metadata).await {
        setup::restore(pool, claim).await.map_err(fail)?;
        return match error {
            UserError::Rejected(UserRejection::AlreadyExists) => {
                let errors = vec![page.t("setup-error-name-taken")];
                Ok((StatusCode::CONFLICT, SetupPage { page, token, name, errors }).into_response())
            }
            other => Err(ApiError::internal(&other)),
        };
    }
    session::begin(&request.session, &name).await.map_err(|e| ApiError::internal(&e))?;
    wait_for_read_model(&state, &name).await;
    Ok(request.prefix.redirect("/").into_response())
}

/// Everything wrong with the form, each in the page's language, checked with the rules `create_user` applies.
fn problems(lang: Lang, name: &str, form: &SetupForm) -> Vec<String> {
    let mut errors = Vec::new();
    if UserName::parse(name).is_err() {
        errors.push(i18n::t(lang, "setup-error-name"));
    }
    if credentials::check_password(&form.password).is_err() {
        let (id, arg, limit) = if form.password.chars().count() < credentials::MIN_PASSWORD_CHARS {
            ("setup-error-password-short", "min", credentials::MIN_PASSWORD_CHARS)
        } else {
            ("setup-error-password-long", "max", credentials::MAX_PASSWORD_CHARS)
        };
        errors.push(i18n::t_args(lang, id, &[(arg, FluentValue::from(limit))]));
    }
    if form.password != form.confirm {
        errors.push(i18n::t(lang, "setup-error-password-mismatch"));
    }
    errors
}

/// Waits (up to 5 s) until the users projection knows the new admin, so the home page the browser is sent to
/// recognises the session instead of asking to sign in. A slower projection only costs that wait.
async fn wait_for_read_model(state: &AppState, name: &str) {
    for _ in 0..100 {
        let known: Result<Option<i64>, _> = sqlx::query_scalar("SELECT 1 FROM users WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&state.db.read_models)
            .await;
        if !matches!(known, Ok(None)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// At the start of a development server without users: a new setup token and the line that offers it,
/// `first start: create the first admin at http://<address><entrance>/setup/<token> (valid 1 hour, single
/// use)`. `None` in other profiles or once a user exists.
pub async fn first_start_line(
    state: &AppState,
    address: SocketAddr,
) -> Result<Option<String>, Box<dyn std::error::Error + Send + Sync>> {
    if state.config.profile != lawha_config::Profile::Development || setup::any_user(&state.db).await? {
        return Ok(None);
    }
    let token = setup::issue(&state.db.read_models, Utc::now()).await?;
    // A wildcard listen address is not somewhere a browser can go; the same machine's loopback is.
    let mut address = address;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let prefix = state.config.ui.prefix();
    Ok(Some(format!(
        "first start: create the first admin at http://{address}{prefix}/setup/{token} (valid 1 hour, single use)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, password: &str, confirm: &str) -> SetupForm {
        SetupForm { name: name.into(), password: password.into(), confirm: confirm.into() }
    }

    #[test]
    fn the_form_renders_in_both_languages_without_inline_code() {
        for lang in Lang::ALL {
            let page = Page::new(lang, "csrf-token", i18n::t(lang, "setup-title")).with_prefix("/k8Jd02xQ");
            let errors = problems(lang, "Root", &form("Root", "short", "other"));
            assert_eq!(errors.len(), 3, "{errors:?}");
            let html = SetupPage { page, token: "ab".repeat(32), name: "Root".into(), errors }.render().unwrap();
            assert_eq!(crate::ui::tests::inline_code(&html), Vec::<String>::new(), "{html}");
            assert!(html.contains(&format!(r#"action="/k8Jd02xQ/setup/{}""#, "ab".repeat(32))), "{html}");
            for field in [r#"<label for="name">"#, r#"<label for="password">"#, r#"<label for="confirm">"#] {
                assert!(html.contains(field), "{field} in {html}");
            }
        }
    }

    #[test]
    fn good_input_has_no_problems_and_a_long_password_is_named_as_such() {
        assert!(
            problems(Lang::En, "root", &form("root", "a long enough password", "a long enough password")).is_empty()
        );
        let long = "x".repeat(2000);
        let errors = problems(Lang::En, "root", &form("root", &long, &long));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("at most"), "{errors:?}");
    }
}
