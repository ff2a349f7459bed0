//! CSRF protection for every state-changing request that rides on the session cookie (and for sign-in itself):
//! the request must carry
//! the session's token, in the `x-csrf-token` header (scripts) or a `csrf` form field (HTML forms). Requests
//! with a bearer token are exempt (a token is never sent ambiently by a browser), and so are webhooks, which
//! carry their own signature.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

use super::error::{ApiError, Csrf, HttpRefusal};
use crate::{
    state::AppState,
    users::{credentials::constant_time_eq, session},
};

/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";

/// Middleware enforcing the token on POST, PUT, PATCH and DELETE.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let exempt =
        request.headers().contains_key(header::AUTHORIZATION) || request.uri().path().starts_with("/webhooks/");
    // Without the session cookie a request carries no ambient credential to abuse, except at sign-in and at the
    // first-start setup, where a forged form would sign the victim's browser into the attacker's account
    // ("login CSRF").
    let has_cookie = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|c| c.split(';').any(|p| p.trim_start().starts_with(session::COOKIE))));
    let path = request.uri().path();
    let ambient = has_cookie || path == "/login" || path.starts_with("/setup/");
    if safe || exempt || !ambient {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refuse(Csrf::NoSession);
    };
    let Some(expected) = session::expected_csrf(&session) else {
        return refuse(Csrf::NoToken);
    };
    let (request, presented) = match request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(token) => {
            let token = token.to_owned();
            (request, Some(token))
        }
        None => match form_token(request, state.config.http.body_limit_bytes).await {
            Ok(pair) => pair,
            Err(response) => return response,
        },
    };
    match presented {
        Some(token) if constant_time_eq(&token, &expected) => next.run(request).await,
        _ => refuse(Csrf::Mismatch),
    }
}

/// Reads the `csrf` field of a url-encoded form body and puts the body back for the handler.
async fn form_token(request: Request, limit: usize) -> Result<(Request, Option<String>), Response> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::from(HttpRefusal::FormTooLarge).into_response())?;
    let token = form_urlencoded_field(&bytes, "csrf");
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn refuse(why: Csrf) -> Response {
    ApiError::from(HttpRefusal::CsrfFailed(why)).into_response()
}
