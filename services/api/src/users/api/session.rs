//! Sign-in and sign-out over the session cookie. `GET /api/v1/session` tells a page (or a script) who is
//! signed in and hands out the CSRF token the sign-in form must carry; `POST /login` checks the password.

use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use crate::http::{
    accept::wants_html,
    auth::Principal,
    context::RequestContext,
    error::{ApiError, Problem as _},
    input::FormBody,
};
use crate::{
    state::AppState,
    ui::request::PageRequest,
    users::{session, signin},
};

/// The sign-in form. Other fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The token of `GET /api/v1/session`; needed unless it comes in the `X-CSRF-Token` header (or the request
    /// carries `Authorization`).
    #[serde(default)]
    pub csrf: Option<String>,
}

fn session_error(e: &tower_sessions::session::Error) -> ApiError {
    ApiError::internal(e)
}

/// `GET /api/v1/session`: `{"user": name|null, "csrf": token}`.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, description = "Who is signed in, and the session's CSRF token", body = Object),
              (status = 500, description = "The session store failed", body = crate::http::error::ErrorBody)))]
pub async fn current(State(state): State<AppState>, session: Session) -> Result<Json<Value>, ApiError> {
    let absolute = state.config.session.absolute_timeout_secs;
    let user = session::signed_in_user(&session, absolute).await.map_err(|e| session_error(&e))?;
    let csrf = session::csrf_token(&session).await.map_err(|e| session_error(&e))?;
    Ok(Json(json!({ "user": user, "csrf": csrf })))
}

/// `POST /login`: 200 with the new CSRF token (or, for accounts with two-factor sign-in, 200 with
/// `second_factor_required` and the code to post to `/login/second-factor`), 401 for wrong credentials, 429 with
/// `Retry-After` when locked.
#[utoipa::path(post, path = "/login", tag = "session",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Signed in (a new session id and CSRF token), or the code step is next", body = Object),
              (status = 400, description = "The form does not decode (`invalid_form`)", body = crate::http::error::ErrorBody),
              (status = 401, description = "Invalid user name or password", body = crate::http::error::ErrorBody),
              (status = 403, description = "Missing or wrong CSRF token", body = crate::http::error::ErrorBody),
              (status = 415, description = "Not sent as a URL-encoded form", body = crate::http::error::ErrorBody),
              (status = 422, description = "A field is missing, repeated or holds a NUL character (`invalid_input`)", body = crate::http::error::ErrorBody),
              (status = 429, description = "Locked out after repeated failures; see Retry-After", body = crate::http::error::ErrorBody),
              (status = 503, description = "Too many password checks at once (`busy`); see Retry-After", body = crate::http::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: axum::http::HeaderMap,
    FormBody(form): FormBody<LoginForm>,
) -> Result<Response, ApiError> {
    let html = wants_html(&headers);
    let name = form.username.trim();
    match signin::sign_in(&state.db, &state.passwords, name, &form.password, &context.metadata()).await {
        Ok(signin::Outcome::SignedIn(user)) => signed_in(&request, &user, html).await,
        Ok(signin::Outcome::SecondFactor(user)) => {
            session::await_second_factor(&request.session, &user).await.map_err(|e| session_error(&e))?;
            if html {
                return Ok(crate::users::pages::signin::login_failed(&request, &user, StatusCode::OK, None, true).await);
            }
            let csrf = session::csrf_token(&request.session).await.map_err(|e| session_error(&e))?;
            Ok(Json(json!({ "user": null, "second_factor_required": true, "csrf": csrf })).into_response())
        }
        Err(refusal) => refused(&request, name, refusal, html, false).await,
    }
}

/// The code form of the second step. Other fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeForm {
    /// A 6-digit TOTP code or a recovery code.
    pub code: String,
    /// The session's CSRF token, unless it comes in the `X-CSRF-Token` header.
    #[serde(default)]
    pub csrf: Option<String>,
}

/// `POST /login/second-factor`: the code that completes a two-factor sign-in.
#[utoipa::path(post, path = "/login/second-factor", tag = "session",
    request_body(content = CodeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Signed in: a new session id and CSRF token", body = Object),
              (status = 400, description = "The form does not decode (`invalid_form`)", body = crate::http::error::ErrorBody),
              (status = 401, description = "Wrong code, or no password step in the last 5 minutes", body = crate::http::error::ErrorBody),
              (status = 403, description = "Missing or wrong CSRF token", body = crate::http::error::ErrorBody),
              (status = 415, description = "Not sent as a URL-encoded form", body = crate::http::error::ErrorBody),
              (status = 422, description = "A field is missing, repeated or holds a NUL character (`invalid_input`)", body = crate::http::error::ErrorBody),
              (status = 429, description = "Locked out after repeated failures; see Retry-After", body = crate::http::error::ErrorBody)))]
pub async fn second_factor(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: axum::http::HeaderMap,
    FormBody(form): FormBody<CodeForm>,
) -> Result<Response, ApiError> {
    let html = wants_html(&headers);
    let pending = session::pending_second_factor(&request.session).await.map_err(|e| session_error(&e))?;
    let Some(user) = pending else {
        if html {
            let status = StatusCode::UNAUTHORIZED;
            return Ok(crate::users::pages::signin::login_failed(
                &request,
                "",
                status,
                Some("sign-in-error-expired"),
                false,
            )
            .await);
        }
        return Err(signin::SignInError::NoPendingSignIn.into());
    };
    let keys = state.two_factor_keys();
    match signin::second_factor(&state.db, &keys, &user, &form.code, &context.metadata()).await {
        Ok(user) => signed_in(&request, &user, html).await,
        Err(refusal) => refused(&request, &user, refusal, html, true).await,
    }
}

async fn signed_in(request: &PageRequest, user: &str, html: bool) -> Result<Response, ApiError> {
    let csrf = session::begin(&request.session, user).await.map_err(|e| session_error(&e))?;
    Ok(if html {
        request.prefix.redirect("/").into_response()
    } else {
        Json(json!({ "user": user, "csrf": csrf })).into_response()
    })
}

/// A refused sign-in step: the page again (browsers) or the error shape, with `Retry-After` when locked.
async fn refused(
    request: &PageRequest,
    name: &str,
    refusal: signin::SignInError,
    html: bool,
    second_factor: bool,
) -> Result<Response, ApiError> {
    let refusal = if second_factor { refusal.in_code_step() } else { refusal };
    let page_text = match &refusal {
        signin::SignInError::Store(_) => return Err(ApiError::internal(&refusal)),
        signin::SignInError::LockedOut { .. } => "sign-in-error-throttled",
        signin::SignInError::Busy(_) => "sign-in-error-busy",
        signin::SignInError::WrongCode => "sign-in-error-code",
        signin::SignInError::NoPendingSignIn => "sign-in-error-expired",
        signin::SignInError::InvalidCredentials => "sign-in-error-invalid",
    };
    let retry_after = refusal.retry_after();
    let error = ApiError::from(refusal);
    if !html {
        return Ok(error.into_response());
    }
    let status = error.status();
    let mut response =
        crate::users::pages::signin::login_failed(request, name, status, Some(page_text), second_factor).await;
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(response)
}

/// `POST /logout`: ends this session.
#[utoipa::path(post, path = "/logout", tag = "session",
    responses((status = 204, description = "Signed out"),
              (status = 303, description = "Signed out, from a browser's form: on to the sign-in page"),
              (status = 403, description = "Missing or wrong CSRF token", body = crate::http::error::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(user) = request.user().await? {
        signin::record(&state.db, &user, "SignedOut", json!({ "user": user }), &context.metadata()).await;
    }
    request.session.flush().await.map_err(|e| session_error(&e))?;
    // A browser that submitted the header's form stays on a page that still looks signed in after a 204.
    Ok(if wants_html(&headers) {
        request.prefix.redirect("/login").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

/// `POST /api/v1/session/sign-out-everywhere`: ends every session of the acting user (signed in, or the owner
/// of the token used).
#[utoipa::path(post, path = "/api/v1/session/sign-out-everywhere", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "How many sessions were ended", body = Object),
              (status = 401, description = "Not signed in", body = crate::http::error::ErrorBody),
              (status = 403, description = "Missing or wrong CSRF token", body = crate::http::error::ErrorBody)))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    request: PageRequest,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let user = principal.user;
    let store = session::DbSessionStore::new(state.db.read_models.clone());
    let ended = store.delete_for_user(&user).await.map_err(|e| ApiError::internal(&e))?;
    signin::record(
        &state.db,
        &user,
        "SignedOutEverywhere",
        json!({ "user": user, "sessions": ended }),
        &context.metadata(),
    )
    .await;
    request.session.flush().await.map_err(|e| session_error(&e))?;
    if wants_html(&headers) {
        return Ok(request.prefix.redirect("/login").into_response());
    }
    Ok(Json(json!({ "sessions_ended": ended })).into_response())
}
