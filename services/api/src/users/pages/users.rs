//! The users page (admin): every account, a role switch per row, and a form for a new account.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        Page, Section,
        kit::{Alerts, Done, refusal_text},
        request::{PageRequest, signed_in_nav},
    },
    users::{
        self,
        api::users::{list_users, parse_role},
    },
};

/// A row of the table.
#[derive(Debug)]
pub struct Row {
    /// Name.
    pub name: String,
    /// Role value (`viewer`…).
    pub role: String,
    /// Two-factor on.
    pub two_factor: bool,
    /// Active tokens.
    pub tokens: i64,
    /// Created, localized.
    pub created: String,
}

/// The users page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    /// Shared part.
    pub page: Page,
    /// The accounts.
    pub users: Vec<Row>,
    /// The roles: (value, label).
    pub roles: Vec<(&'static str, String)>,
    /// What was just done, or why the last action was refused.
    pub alerts: Alerts,
}

async fn render(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    status: StatusCode,
    alerts: impl FnOnce(&Page) -> Alerts,
) -> Result<Response, ApiError> {
    let (page, _) = request.page("users-title").await?;
    let lang = page.lang;
    let page = page
        .with_nav(signed_in_nav(lang, &request.prefix, Section::Users, principal))
        .with_user(principal.user.clone());
    let users = list_users(state)
        .await?
        .into_iter()
        .map(|u| Row {
            created: chrono::DateTime::parse_from_rfc3339(&u.created_at)
                .map(|t| page.datetime(&t.with_timezone(&chrono::Utc)))
                .unwrap_or_default(),
            name: u.name,
            role: u.role,
            two_factor: u.two_factor,
            tokens: u.tokens,
        })
        .collect();
    let roles = ["viewer", "operator", "admin"].into_iter().map(|r| (r, page.t(&format!("role-{r}")))).collect();
    let alerts = alerts(&page);
    Ok((status, UsersPage { page, users, roles, alerts }).into_response())
}

/// `GET /users` (admin).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let alerts = |page: &Page| Alerts::notice(done.notice(page, "users-done", &["created", "role"]));
    render(&state, &request, &principal, StatusCode::OK, alerts).await
}

/// The new-user form.
#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    name: String,
    role: String,
    password: String,
}

/// `POST /users` (admin).
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<NewUserForm>,
) -> Result<Response, ApiError> {
    let result = match parse_role(&form.role) {
        Ok(role) => users::create_user(&state.db, form.name.trim(), role, &form.password, &context.metadata())
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let name = form.name.trim().to_owned();
    let visible = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE name = $1")
            .bind(name.clone())
            .fetch_one(&state.db.read_models)
            .await
            .is_ok_and(|n| n == 1)
    };
    finish(&state, &request, &principal, result, visible, "/users?done=created").await
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /users/{name}/role` (admin).
pub async fn change_role(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, ApiError> {
    let result = match parse_role(&form.role) {
        Ok(role) => {
            users::commands::change_role(&state.db, &name, role, &context.metadata()).await.map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    let visible = || async {
        sqlx::query_scalar::<_, String>("SELECT role FROM users WHERE name = $1")
            .bind(name.clone())
            .fetch_optional(&state.db.read_models)
            .await
            .is_ok_and(|role| role.as_deref() == Some(form.role.trim()))
    };
    finish(&state, &request, &principal, result, visible, "/users?done=role").await
}

/// Redirects after a change, once the users projection shows it; re-renders with the message on a refusal.
async fn finish<F, Fut>(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    result: Result<(), ApiError>,
    visible: F,
    done: &str,
) -> Result<Response, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    match result {
        Ok(()) => {
            crate::projections::settle(visible).await;
            Ok(request.prefix.redirect(done).into_response())
        }
        Err(e) if !e.is_refusal() => Err(e),
        Err(e) => {
            let status = e.status();
            render(state, request, principal, status, |page| Alerts::error(refusal_text(page.lang, &e))).await
        }
    }
}
