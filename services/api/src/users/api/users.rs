//! `/api/v1/users…` (admin): list accounts, create one, change a role.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use lawha_domain::users::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::http::{context::RequestContext, error::ApiError};
use crate::{
    state::AppState,
    users::{self, UserError},
};

/// One account in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRow {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Whether two-factor sign-in is on.
    pub two_factor: bool,
    /// Active API tokens.
    pub tokens: i64,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

/// Every account, by name.
pub async fn list_users(state: &AppState) -> Result<Vec<UserRow>, ApiError> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT u.name, u.role, u.two_factor, u.created_at, \
         (SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.user_id AND t.revoked_at IS NULL) \
         FROM users u ORDER BY u.name",
    )
    .fetch_all(&state.db.read_models)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, role, two_factor, created, tokens)| UserRow {
            name,
            role,
            two_factor: two_factor == 1,
            tokens,
            created_at: chrono::DateTime::from_timestamp_micros(created).map(|t| t.to_rfc3339()).unwrap_or_default(),
        })
        .collect())
}

/// `GET /api/v1/users`.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "Every account", body = Vec<UserRow>),
              (status = 401, description = "Not signed in", body = crate::http::error::ErrorBody),
              (status = 403, description = "Not an admin", body = crate::http::error::ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<UserRow>>, ApiError> {
    Ok(Json(list_users(&state).await?))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// 1-64 lowercase letters, digits, `.`, `_`, `-`, starting with a letter.
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// The first password (12 characters or more); the user can change it.
    pub password: String,
}

/// Parses a role, as a 422.
pub fn parse_role(text: &str) -> Result<Role, ApiError> {
    Role::parse_input(text).map_err(|m| UserError::Invalid(m).into())
}

/// `POST /api/v1/users`.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = Object),
              (status = 403, description = "Not an admin, or a token (this needs a signed-in session and its CSRF token)", body = crate::http::error::ErrorBody),
              (status = 409, description = "The name is taken", body = crate::http::error::ErrorBody),
              (status = 422, description = "Bad name, role or password", body = crate::http::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    Json(body): Json<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = parse_role(&body.role)?;
    let id = users::create_user(&state.db, body.name.trim(), role, &body.password, &context.metadata()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user_id": id, "name": body.name.trim(), "role": role }))))
}

/// A role change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    /// `viewer`, `operator` or `admin`.
    pub role: String,
}

/// `PUT /api/v1/users/{name}/role`.
#[utoipa::path(put, path = "/api/v1/users/{name}/role", tag = "users",
    request_body = RoleChange, params(("name" = String, Path, description = "The user")),
    responses((status = 204, description = "Changed"),
              (status = 403, description = "Not an admin, or a token (this needs a signed-in session and its CSRF token)", body = crate::http::error::ErrorBody),
              (status = 404, description = "No such user", body = crate::http::error::ErrorBody),
              (status = 409, description = "Same role, or the last admin", body = crate::http::error::ErrorBody)))]
pub async fn change_role(
    State(state): State<AppState>,
    context: RequestContext,
    Path(name): Path<String>,
    Json(body): Json<RoleChange>,
) -> Result<StatusCode, ApiError> {
    let role = parse_role(&body.role)?;
    users::commands::change_role(&state.db, &name, role, &context.metadata()).await?;
    users::read::wait_role(&state.db.read_models, &name, &role.to_string()).await;
    Ok(StatusCode::NO_CONTENT)
}
