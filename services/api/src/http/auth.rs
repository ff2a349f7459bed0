//! Authentication and authorization. A request's principal comes from `Authorization: Bearer <token>` (the
//! session cookie joins later, with the UI); each route declares the level it needs in [`super::routes`], and
//! [`require`] enforces it: 401 without a valid principal, 403 with too little power.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;

use super::{
    context::Actor,
    entrance::UiPrefix,
    error::{ApiError, Credential, HttpRefusal},
};
use crate::state::AppState;

/// Who is acting, and with how much power.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The actor recorded in events: `token:<user>/<token name>`.
    pub actor: String,
    /// The user acting (directly or through a token).
    pub user: String,
    /// The effective level.
    pub level: Role,
    /// Whether the principal is a signed-in person (session) rather than an API token.
    pub interactive: bool,
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (health, webhooks verify their own signatures).
    Public,
    /// A principal of at least this level.
    AtLeast(Role),
    /// A signed-in person (not an API token) of at least this level: account security (password, two-factor,
    /// issuing tokens) is never in reach of a token, whatever its scopes.
    Session(Role),
}

/// Middleware: resolves a bearer token into a [`Principal`] and an [`Actor`]. A malformed or unknown token is
/// refused at once (401), so a client never silently runs anonymously with a broken token.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        let session = request.extensions().get::<tower_sessions::Session>().cloned();
        return match session_principal(&state, session).await {
            Ok(Some(principal)) => {
                request.extensions_mut().insert(Actor(principal.actor.clone()));
                request.extensions_mut().insert(principal);
                next.run(request).await
            }
            Ok(None) => next.run(request).await,
            Err(e) => ApiError::internal(e.as_ref()).into_response(),
        };
    };
    let Some(token) = value.to_str().ok().and_then(bearer) else {
        return unauthorized(Credential::MalformedHeader);
    };
    match state.tokens.authenticate(&state.db, token).await {
        Ok(Some(owner)) => {
            let principal = Principal {
                actor: format!("token:{}/{}", owner.user, owner.token_name),
                user: owner.user,
                level: owner.level,
                interactive: false,
            };
            request.extensions_mut().insert(Actor(principal.actor.clone()));
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Ok(None) => unauthorized(Credential::InvalidToken),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive (RFC 9110, 11.1).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The principal of a signed-in session: the user with the role the users read model gives it now (so a role
/// change applies at once, without signing out).
async fn session_principal(
    state: &AppState,
    session: Option<tower_sessions::Session>,
) -> Result<Option<Principal>, Box<dyn std::error::Error + Send + Sync>> {
    let Some(session) = session else { return Ok(None) };
    let absolute = state.config.session.absolute_timeout_secs;
    let Some(user) = crate::users::session::signed_in_user(&session, absolute).await? else { return Ok(None) };
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE name = $1")
        .bind(user.clone())
        .fetch_optional(&state.db.read_models)
        .await?;
    let Some(level) = role.and_then(|r| r.parse::<Role>().ok()) else { return Ok(None) };
    Ok(Some(Principal { actor: format!("user:{user}"), user, level, interactive: true }))
}

fn unauthorized(why: Credential) -> Response {
    let mut response = ApiError::from(HttpRefusal::Unauthorized(why)).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Middleware for one route: lets the request through only if its principal meets `need`.
pub async fn require(State(need): State<Need>, request: Request, next: Next) -> Response {
    let (level, interactive_only) = match need {
        Need::Public => return next.run(request).await,
        Need::AtLeast(level) => (level, false),
        Need::Session(level) => (level, true),
    };
    let wants_html = super::accept::wants_html(request.headers());
    match request.extensions().get::<Principal>() {
        // A browser asking for a page is sent to the sign-in page rather than shown a JSON error.
        None if wants_html => {
            let prefix = request.extensions().get::<UiPrefix>().cloned().unwrap_or_default();
            prefix.redirect("/login").into_response()
        }
        None => unauthorized(Credential::Missing),
        Some(p) if interactive_only && !p.interactive => ApiError::from(HttpRefusal::SessionRequired).into_response(),
        Some(p) if p.level < level => {
            let refusal =
                HttpRefusal::Forbidden { needed: level.to_string(), actor: p.actor.clone(), has: p.level.to_string() };
            ApiError::from(refusal).into_response()
        }
        Some(_) => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in ["Bearer lawha_x", "bearer lawha_x", "BEARER  lawha_x "] {
            assert_eq!(bearer(value), Some("lawha_x"), "{value:?}");
        }
        assert_eq!(bearer("Basic lawha_x"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearerlawha_x"), None);
    }
}
