//! Sign-in and sign-out over the session cookie. `GET /api/v1/session` tells a page (or a script) who is
//! signed in and hands out the CSRF token the sign-in form must carry; `POST /login` checks the password.

use axum::{
    Extension, Form, Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::{auth::Principal, context::RequestContext, error::ApiError};
use crate::{
    session::{self, signin},
    state::AppState,
};

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

fn session_error(e: &tower_sessions::session::Error) -> ApiError {
    ApiError::internal(e)
}

/// `GET /api/v1/session`: `{"user": name|null, "csrf": token}`.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, description = "Who is signed in, and the session's CSRF token", body = Object),
              (status = 500, description = "The session store failed", body = crate::http::error::ErrorBody)))]
pub async fn current(session: Session) -> Result<Json<Value>, ApiError> {
    let user = session::signed_in_user(&session).await.map_err(|e| session_error(&e))?;
    let csrf = session::csrf_token(&session).await.map_err(|e| session_error(&e))?;
    Ok(Json(json!({ "user": user, "csrf": csrf })))
}

/// `POST /login`: 200 with the new CSRF token, 401 for wrong credentials, 429 with `Retry-After` when locked.
#[utoipa::path(post, path = "/login", tag = "session",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
                 description = "`username`, `password` and `csrf` (the token of `GET /api/v1/session`)"),
    responses((status = 200, description = "Signed in: a new session id and CSRF token", body = Object),
              (status = 401, description = "Invalid user name or password", body = crate::http::error::ErrorBody),
              (status = 403, description = "Missing or wrong CSRF token", body = crate::http::error::ErrorBody),
              (status = 429, description = "Locked out after repeated failures; see Retry-After", body = crate::http::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    context: RequestContext,
    session: Session,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let metadata = context.metadata();
    // A browser posting the sign-in page gets pages back; scripts get JSON.
    let html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let refusal = match signin::sign_in(&state.db, form.username.trim(), &form.password, &metadata).await {
        Ok(user) => {
            let csrf = session::begin(&session, &user).await.map_err(|e| session_error(&e))?;
            return Ok(if html {
                axum::response::Redirect::to("/audit").into_response()
            } else {
                Json(json!({ "user": user, "csrf": csrf })).into_response()
            });
        }
        Err(signin::SignInError::Store(message)) => return Err(ApiError::internal(&std::io::Error::other(message))),
        Err(refusal) => refusal,
    };
    let (status, code, page_text, retry_after) = match refusal {
        signin::SignInError::LockedOut { retry_after_secs } => {
            (StatusCode::TOO_MANY_REQUESTS, "locked_out", "sign-in-error-throttled", Some(retry_after_secs))
        }
        _ => (StatusCode::UNAUTHORIZED, "invalid_credentials", "sign-in-error-invalid", None),
    };
    let mut response = if html {
        super::pages::login_failed(&session, &headers, &form.username, status, page_text).await
    } else {
        let details = retry_after.map_or_else(|| json!({}), |secs| json!({ "retry_after_secs": secs }));
        ApiError::new(status, code, refusal.to_string()).with_details(details).into_response()
    };
    if let Some(value) = retry_after.and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
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
    session: Session,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(user) = session::signed_in_user(&session).await.map_err(|e| session_error(&e))? {
        signin::record(&state.db, &user, "SignedOut", json!({ "user": user }), &context.metadata()).await;
    }
    session.flush().await.map_err(|e| session_error(&e))?;
    // A browser that submitted the header's form stays on a page that still looks signed in after a 204.
    let html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    Ok(if html {
        axum::response::Redirect::to("/login").into_response()
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
    session: Session,
) -> Result<Json<Value>, ApiError> {
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
    session.flush().await.map_err(|e| session_error(&e))?;
    Ok(Json(json!({ "sessions_ended": ended })))
}
