//! The account page and its forms (no JavaScript): password, two-factor sign-in, API tokens. Secrets shown once
//! (the enrollment QR code, recovery codes, a new token) are rendered in the answer to the POST, sent with
//! `Cache-Control: no-store` and stored nowhere; other changes redirect back with a notice. Changing the password
//! ends the user's other sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use lawha_domain::users::UserRejection;

use crate::{
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        Page, Section,
        kit::{Alerts, Done, refusal_text},
        request::{PageRequest, signed_in_nav},
    },
    users::{
        self, UserError,
        api::account::{AccountView, load_account, no_store, parse_scopes},
        two_factor,
    },
};

/// A token row as the page shows it.
#[derive(Debug)]
pub struct TokenRow {
    /// Its id.
    pub id: String,
    /// Its label.
    pub name: String,
    /// Its scopes, translated.
    pub scopes: String,
    /// When it was issued, localized.
    pub created: String,
    /// When it was last used, localized, or "never".
    pub last_used: String,
}

/// The account page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    /// Shared part.
    pub page: Page,
    /// The account.
    pub account: AccountView,
    /// Its tokens, formatted.
    pub tokens: Vec<TokenRow>,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
    /// An enrollment in progress (QR code and secret).
    pub enrollment: Option<two_factor::Enrollment>,
    /// Recovery codes just issued.
    pub recovery_codes: Vec<String>,
    /// A token just issued.
    pub new_token: Option<String>,
    /// The scopes the user may grant: (value, label).
    pub scopes: Vec<(&'static str, String)>,
}

/// What a form handler adds to the page.
#[derive(Debug, Default)]
struct Extras {
    notice: Option<String>,
    error: Option<ApiError>,
    enrollment: Option<two_factor::Enrollment>,
    recovery_codes: Vec<String>,
    new_token: Option<String>,
}

async fn render(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    status: StatusCode,
    extras: Extras,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("account-title").await?;
    let lang = page.lang;
    let page = page
        .with_nav(signed_in_nav(lang, &request.prefix, Section::Account, principal))
        .with_user(principal.user.clone());
    let account = load_account(state, &principal.user).await?;
    let when = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| page.datetime(&t.with_timezone(&chrono::Utc)))
            .unwrap_or_default()
    };
    let tokens = account
        .tokens
        .iter()
        .map(|t| TokenRow {
            id: t.token_id.clone(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| page.t(&format!("scope-{s}"))).collect::<Vec<_>>().join(", "),
            created: when(&t.created_at),
            last_used: t.last_used_at.as_deref().map_or_else(|| page.t("account-token-never-used"), when),
        })
        .collect();
    let scopes = ["read", "operate", "admin"]
        .into_iter()
        .filter(|s| s.parse::<lawha_domain::users::Scope>().is_ok_and(|scope| scope.level() <= principal.level))
        .map(|s| (s, page.t(&format!("scope-{s}"))))
        .collect();
    let alerts = Alerts { notice: extras.notice, error: extras.error.map(|e| refusal_text(page.lang, &e)) };
    let body = AccountPage {
        page,
        account,
        tokens,
        alerts,
        enrollment: extras.enrollment,
        recovery_codes: extras.recovery_codes,
        new_token: extras.new_token,
        scopes,
    };
    Ok((status, body).into_response())
}

/// Re-renders the page with a refused change's message and status, or passes a server failure on.
async fn refused(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    error: ApiError,
) -> Result<Response, ApiError> {
    if !error.is_refusal() {
        return Err(error);
    }
    let status = error.status();
    render(state, request, principal, status, Extras { error: Some(error), ..Extras::default() }).await
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("account-title").await?;
    let notice = done.notice(&page, "account-done", &["password", "two-factor-off", "token-revoked"]);
    render(&state, &request, &principal, StatusCode::OK, Extras { notice, ..Extras::default() }).await
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, ApiError> {
    let result = if form.new_password == form.confirm_password {
        users::commands::change_password(
            &state.db,
            &state.passwords,
            &principal.user,
            &form.current_password,
            &form.new_password,
            request.session.id(),
            &context.metadata(),
        )
        .await
        .map(|_ended| ())
        .map_err(ApiError::from)
    } else {
        Err(UserError::Invalid(crate::users::messages::passwords_differ()).into())
    };
    match result {
        Ok(()) => Ok(request.prefix.redirect("/account?done=password").into_response()),
        Err(e) => refused(&state, &request, &principal, e).await,
    }
}

/// `POST /account/two-factor/enroll`: shows the QR code and the confirmation form.
pub async fn enroll(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    match two_factor::begin(&state.db, &state.two_factor_keys(), &principal.user).await {
        Ok(enrollment) => {
            let extras = Extras { enrollment: Some(enrollment), ..Extras::default() };
            render(&state, &request, &principal, StatusCode::OK, extras).await.map(no_store)
        }
        Err(e) => refused(&state, &request, &principal, e.into()).await,
    }
}

/// A code, and for disabling the password too.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    password: String,
}

/// `POST /account/two-factor/confirm`: turns two-factor on and shows the recovery codes once.
pub async fn confirm(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let keys = state.two_factor_keys();
    match two_factor::confirm(&state.db, &keys, &principal.user, &form.code, &context.metadata()).await {
        Ok(codes) => {
            // The read model catches up within a moment; the page shows the new state right away.
            wait_for_two_factor(&state, &principal.user, true).await;
            let (page, _) = request.page("account-title").await?;
            let notice = Some(page.t("account-done-two-factor-on"));
            let extras = Extras { notice, recovery_codes: codes, ..Extras::default() };
            render(&state, &request, &principal, StatusCode::OK, extras).await.map(no_store)
        }
        Err(e) => refused(&state, &request, &principal, e.into()).await,
    }
}

/// `POST /account/two-factor/disable`.
pub async fn disable(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let keys = state.two_factor_keys();
    let metadata = context.metadata();
    match two_factor::disable(
        &state.db,
        &state.passwords,
        &keys,
        &principal.user,
        &form.password,
        &form.code,
        &metadata,
    )
    .await
    {
        Ok(()) => {
            wait_for_two_factor(&state, &principal.user, false).await;
            Ok(request.prefix.redirect("/account?done=two-factor-off").into_response())
        }
        Err(e) => refused(&state, &request, &principal, e.into()).await,
    }
}

/// Waits briefly for the users projection to show the new two-factor state, so the next page is consistent.
async fn wait_for_two_factor(state: &AppState, user: &str, on: bool) {
    crate::projections::settle(|| async { two_factor::is_enabled(&state.db, user).await.is_ok_and(|now| now == on) })
        .await;
}

/// `POST /account/tokens`: `name` and repeated `scope` fields; shows the new token once.
pub async fn create_token(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let name = pairs.iter().find(|(k, _)| k == "name").map(|(_, v)| v.clone()).unwrap_or_default();
    let scopes = parse_scopes(pairs.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()));
    let issued = match scopes {
        Ok(scopes) => users::create_token(&state.db, &principal.user, &name, scopes, &context.metadata())
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match issued {
        Ok(issued) => {
            let extras = Extras { new_token: Some(issued.token), ..Extras::default() };
            render(&state, &request, &principal, StatusCode::CREATED, extras).await.map(no_store)
        }
        Err(e) => refused(&state, &request, &principal, e).await,
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Ok(token_id) = Uuid::parse_str(&id) else {
        return refused(&state, &request, &principal, UserError::Rejected(UserRejection::NoSuchToken).into()).await;
    };
    match users::commands::revoke_token(&state.db, &principal.user, token_id, &context.metadata()).await {
        Ok(()) => {
            users::read::wait_revoked(&state.db.read_models, token_id).await;
            Ok(request.prefix.redirect("/account?done=token-revoked").into_response())
        }
        Err(e) => refused(&state, &request, &principal, e.into()).await,
    }
}
