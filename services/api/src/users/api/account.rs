//! `/api/v1/account…`: the signed-in user's own account as JSON: password, two-factor sign-in and API tokens.
//! Reading works with a token; every change needs a signed-in session ([`crate::http::auth::Need::Session`]).

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use lawha_domain::users::{Scope, UserRejection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_sessions::Session;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::{auth::Principal, context::RequestContext, error::ApiError, input::JsonBody};
use crate::{
    state::AppState,
    users::{self, UserError, two_factor},
};

/// One API token as its owner sees it (never the token itself, which is shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Its id (the part after `lawha_`).
    pub token_id: String,
    /// Its label.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it was issued (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339), if ever.
    pub last_used_at: Option<String>,
}

/// The account as `GET /api/v1/account` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// The user's name.
    pub user: String,
    /// Its role.
    pub role: String,
    /// Whether two-factor sign-in is on.
    pub two_factor: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// Active tokens, newest first.
    pub tokens: Vec<TokenInfo>,
}

fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// Reads the account of `user` from the read models.
pub async fn load_account(state: &AppState, user: &str) -> Result<AccountView, ApiError> {
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT role, two_factor, recovery_codes_left FROM users WHERE name = $1")
            .bind(user.to_owned())
            .fetch_optional(&state.db.read_models)
            .await?;
    let Some((role, two_factor, recovery_codes_left)) = row else {
        return Err(UserError::Rejected(UserRejection::NotFound).into());
    };
    let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT t.token_id, t.name, t.scopes, t.created_at, u.last_used_at FROM api_tokens t \
         JOIN users s ON s.user_id = t.user_id LEFT JOIN token_usage u ON u.token_id = t.token_id \
         WHERE s.name = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC",
    )
    .bind(user.to_owned())
    .fetch_all(&state.db.read_models)
    .await?;
    let tokens = rows
        .into_iter()
        .map(|(token_id, name, scopes, created, used)| TokenInfo {
            token_id,
            name,
            scopes: scopes.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            created_at: rfc3339(created),
            last_used_at: used.map(rfc3339),
        })
        .collect();
    Ok(AccountView { user: user.to_owned(), role, two_factor: two_factor == 1, recovery_codes_left, tokens })
}

/// `GET /api/v1/account`.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", security(("bearer" = [])),
    responses((status = 200, description = "The acting user's account", body = AccountView),
              (status = 401, description = "Not signed in", body = crate::http::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(load_account(&state, &principal.user).await?))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new one (12 to 256 characters).
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// `POST /api/v1/account/password`: the user's other sessions end.
#[utoipa::path(post, path = "/api/v1/account/password", tag = "account", request_body = PasswordChange,
    responses((status = 204, description = "Changed; every other session of the user has ended"),
              (status = 403, description = "Wrong current password, or not a session", body = crate::http::error::ErrorBody),
              (status = 422, description = "The new password is too short or too long", body = crate::http::error::ErrorBody),
              (status = 429, description = "Too many wrong current passwords (`locked_out`); see Retry-After", body = crate::http::error::ErrorBody),
              (status = 503, description = "Too many password checks at once (`busy`); see Retry-After", body = crate::http::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    session: Session,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    users::commands::change_password(
        &state.db,
        &state.passwords,
        &principal.user,
        &body.current_password,
        &body.new_password,
        session.id(),
        &context.metadata(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/account/two-factor/enroll`: a new pending secret, its URL and QR code.
#[utoipa::path(post, path = "/api/v1/account/two-factor/enroll", tag = "account",
    responses((status = 200, description = "Scan the QR code, then confirm with a code", body = two_factor::Enrollment),
              (status = 403, description = "Not a session", body = crate::http::error::ErrorBody),
              (status = 409, description = "Two-factor sign-in is already on", body = crate::http::error::ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(no_store(Json(two_factor::begin(&state.db, &state.two_factor_keys(), &principal.user).await?)))
}

/// The first code from the authenticator app, which turns two-factor sign-in on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The 6-digit code the app shows now.
    pub code: String,
}

/// What turning two-factor sign-in off needs: the password and a code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    /// The 6-digit code the app shows now, or an unused recovery code.
    pub code: String,
    /// The account's password.
    pub password: String,
}

/// `POST /api/v1/account/two-factor/confirm`: turns two-factor on; the recovery codes are in the answer, once.
#[utoipa::path(post, path = "/api/v1/account/two-factor/confirm", tag = "account", request_body = CodeBody,
    responses((status = 200, description = "On; `recovery_codes` are shown this once", body = Object),
              (status = 409, description = "Already on", body = crate::http::error::ErrorBody),
              (status = 422, description = "Wrong code, or no enrollment started", body = crate::http::error::ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let keys = state.two_factor_keys();
    let codes = two_factor::confirm(&state.db, &keys, &principal.user, &body.code, &context.metadata()).await?;
    Ok(no_store(Json(json!({ "recovery_codes": codes }))))
}

/// `POST /api/v1/account/two-factor/disable`: needs the password and a code.
#[utoipa::path(post, path = "/api/v1/account/two-factor/disable", tag = "account", request_body = DisableBody,
    responses((status = 204, description = "Off"),
              (status = 403, description = "Wrong password", body = crate::http::error::ErrorBody),
              (status = 409, description = "Already off", body = crate::http::error::ErrorBody),
              (status = 422, description = "Wrong code", body = crate::http::error::ErrorBody),
              (status = 429, description = "Too many wrong passwords (`locked_out`); see Retry-After", body = crate::http::error::ErrorBody),
              (status = 503, description = "Too many password checks at once (`busy`); see Retry-After", body = crate::http::error::ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<DisableBody>,
) -> Result<StatusCode, ApiError> {
    let keys = state.two_factor_keys();
    let metadata = context.metadata();
    let (password, code) = (&body.password, &body.code);
    two_factor::disable(&state.db, &state.passwords, &keys, &principal.user, password, code, &metadata).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A scope as the JSON API names it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeName {
    /// Read-only requests.
    Read,
    /// Operating requests (run a backup, deploy).
    Operate,
    /// Administration.
    Admin,
}

impl From<ScopeName> for Scope {
    fn from(name: ScopeName) -> Self {
        match name {
            ScopeName::Read => Self::Read,
            ScopeName::Operate => Self::Operate,
            ScopeName::Admin => Self::Admin,
        }
    }
}

/// A new token's label and scopes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label: 1-100 characters, not only spaces, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// What it may do; never above the owner's role.
    #[schema(min_items = 1)]
    pub scopes: Vec<ScopeName>,
}

/// An answer that shows a secret once (a token, recovery codes, a TOTP secret): no cache, no back button
/// history, may keep it.
pub fn no_store(answer: impl IntoResponse) -> Response {
    let mut response = answer.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Parses scope names, naming the first bad one.
pub fn parse_scopes<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Scope>, ApiError> {
    names.into_iter().map(|s| Scope::parse_input(s).map_err(|m| UserError::Invalid(m).into())).collect()
}

/// `POST /api/v1/account/tokens`: 201 with the token, shown this once.
#[utoipa::path(post, path = "/api/v1/account/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, description = "`token` is shown this once; only its hash is kept", body = Object),
              (status = 403, description = "Not a session", body = crate::http::error::ErrorBody),
              (status = 422, description = "Bad label or scopes", body = crate::http::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    let scopes = body.scopes.iter().copied().map(Scope::from).collect();
    let issued = users::create_token(&state.db, &principal.user, &body.name, scopes, &context.metadata()).await?;
    let body = json!({ "token_id": issued.token_id.simple().to_string(), "token": issued.token });
    Ok(no_store((StatusCode::CREATED, Json(body))))
}

/// `DELETE /api/v1/account/tokens/{id}`.
#[utoipa::path(delete, path = "/api/v1/account/tokens/{id}", tag = "account",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such active token of yours", body = crate::http::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    context: RequestContext,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token_id = Uuid::parse_str(&id).map_err(|_| UserError::Rejected(UserRejection::NoSuchToken))?;
    users::commands::revoke_token(&state.db, &principal.user, token_id, &context.metadata()).await?;
    users::read::wait_revoked(&state.db.read_models, token_id).await;
    Ok(StatusCode::NO_CONTENT)
}
