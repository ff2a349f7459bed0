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

use crate::http::{context::RequestContext, error::ApiError, input::JsonBody};
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

/// A role as the JSON API names it (exactly; the pages' forms are more lenient).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Reads everything; changes nothing.
    Viewer,
    /// Runs backups, deployments and renewals.
    Operator,
    /// Manages users, tokens and settings.
    Admin,
}

impl From<RoleName> for Role {
    fn from(name: RoleName) -> Self {
        match name {
            RoleName::Viewer => Self::Viewer,
            RoleName::Operator => Self::Operator,
            RoleName::Admin => Self::Admin,
        }
    }
}

/// Parses a role from a page's form (trimmed, any case), as a 422.
pub fn parse_role(text: &str) -> Result<Role, ApiError> {
    Role::parse_input(text).map_err(|m| UserError::Invalid(m).into())
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1-64 lowercase letters, digits, `.`, `_`, `-`, starting with a letter.
    #[schema(min_length = 1, max_length = 64, pattern = "^[a-z][a-z0-9._-]{0,63}$")]
    pub name: String,
    /// Its role.
    pub role: RoleName,
    /// The first password (12 to 256 characters); the user can change it.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
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
    JsonBody(body): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = Role::from(body.role);
    let id = users::create_user(&state.db, &body.name, role, &body.password, &context.metadata()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "user_id": id, "name": body.name, "role": role }))))
}

/// A role change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// The new role.
    pub role: RoleName,
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
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<StatusCode, ApiError> {
    let role = Role::from(body.role);
    users::commands::change_role(&state.db, &name, role, &context.metadata()).await?;
    users::read::wait_role(&state.db.read_models, &name, &role.to_string()).await;
    Ok(StatusCode::NO_CONTENT)
}
