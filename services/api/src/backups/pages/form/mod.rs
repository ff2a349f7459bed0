//! The plan form (admin): a new plan, or a plan changed. Everything the API checks is checked here the same
//! way (the same command); every problem is shown beside its field at once, and nothing is recorded until the
//! whole plan is valid. A database URL's password is shown as `***` and kept when the URL is sent back as shown.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::Message;
use uuid::Uuid;

mod plan_form;

use plan_form::FIELDS;
pub use plan_form::PlanForm;

use super::{not_found, plan_named, section_page, uuid};
use crate::{
    backups::{self, BackupCommandError, PlanInput, read},
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        Page,
        form::{FieldView, FormText, Input, form_problems},
        request::PageRequest,
    },
};

/// Records the plan through `record` when the form is valid; otherwise every problem at once: the form's own
/// and, for what could be read, the API's checks (nothing is recorded).
async fn submit<F, Fut>(
    state: &AppState,
    form: &PlanForm,
    editing: Option<Uuid>,
    record: F,
) -> Result<Uuid, BackupCommandError>
where
    F: FnOnce(PlanInput) -> Fut,
    Fut: std::future::Future<Output = Result<Uuid, BackupCommandError>>,
{
    let (input, mut problems) = form.input();
    match input {
        Some(input) if problems.is_empty() => record(input).await,
        Some(input) => {
            let taken = read::name_taken(&state.db.read_models, &input.name, editing).await?;
            let seal = backups::seal_key(state.config.secret_key_bytes());
            let policy = backups::path_policy(&state.config);
            problems.extend(input.into_spec(&seal, &policy, taken).err().unwrap_or_default());
            Err(BackupCommandError::Invalid(problems))
        }
        None => Err(BackupCommandError::Invalid(problems)),
    }
}

/// The form page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "backup_form.html")]
pub struct FormPage {
    /// Shared part.
    pub page: Page,
    /// The values shown.
    pub form: PlanForm,
    /// The plan being changed, or None for a new one.
    pub plan_id: Option<String>,
    /// The problems, by form field.
    pub problems: Vec<(String, String)>,
    /// The source kinds: (value, label).
    pub kinds: Vec<(&'static str, String)>,
}

impl FormPage {
    fn text(&self) -> FormText<'_> {
        FormText { page: &self.page, prefix: "backup-field", fields: &FIELDS, problems: &self.problems }
    }

    /// The inputs named, in order, for the template.
    pub fn fields(&self, names: &[&'static str]) -> Vec<FieldView> {
        let (f, text) = (&self.form, self.text());
        let view = |name: &'static str| {
            let (value, input): (&String, Input) = match name {
                "name" => (&f.name, ("text", 0, true, true)),
                "source_path" => (&f.source_path, ("text", 0, true, false)),
                "source_url" => (&f.source_url, ("text", 0, true, false)),
                "destination_path" => (&f.destination_path, ("text", 0, true, true)),
                "schedule" => (&f.schedule, ("text", 0, true, false)),
                "timezone" => (&f.timezone, ("text", 0, true, false)),
                "keep_last" => (&f.keep_last, ("number", 1, false, false)),
                "keep_days" => (&f.keep_days, ("number", 1, false, false)),
                "max_total_mib" => (&f.max_total_mib, ("number", 1, false, false)),
                "compression_level" => (&f.compression_level, ("number", 1, false, false)),
                _ => (&f.recipient, ("text", 0, true, false)),
            };
            text.view(name, value, input)
        };
        names.iter().map(|&name| view(name)).collect()
    }

    /// A form field's label (its API name when the form has no such field).
    pub fn label(&self, field: &str) -> String {
        self.text().label(field)
    }

    /// The problem of a form field, for the template.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.text().problem(field)
    }

    /// Where the form posts.
    pub fn action(&self) -> String {
        match &self.plan_id {
            Some(id) => format!("{}/backups/{id}", self.page.prefix),
            None => format!("{}/backups", self.page.prefix),
        }
    }
}

async fn render(
    request: &PageRequest,
    principal: &Principal,
    status: StatusCode,
    form: PlanForm,
    plan_id: Option<Uuid>,
    problems: Vec<(String, Message)>,
) -> Result<Response, ApiError> {
    let title = if plan_id.is_some() { "backup-edit-title" } else { "backup-new-title" };
    let page = section_page(request, principal, title).await?;
    let kinds = ["directory", "sqlite", "postgres", "mysql"].map(|k| (k, page.t(&format!("backup-kind-{k}")))).into();
    let problems = form_problems(page.lang, &FIELDS, problems);
    let plan_id = plan_id.map(|id| id.to_string());
    Ok((status, FormPage { page, form, plan_id, problems, kinds }).into_response())
}

/// `GET /backups/new` (admin).
pub async fn new(request: PageRequest, Extension(principal): Extension<Principal>) -> Result<Response, ApiError> {
    let form = PlanForm {
        source_kind: "directory".into(),
        timezone: "UTC".into(),
        compression_level: "3".into(),
        ..PlanForm::default()
    };
    render(&request, &principal, StatusCode::OK, form, None, Vec::new()).await
}

/// `GET /backups/{id}/edit` (admin).
pub async fn edit(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(plan) = plan_named(&state, &id).await? else { return not_found(&request, &principal).await };
    let plan_id = uuid(&plan.id);
    render(&request, &principal, StatusCode::OK, PlanForm::from_plan(&plan), plan_id, Vec::new()).await
}

/// `POST /backups` (admin): creates the plan and shows it, or the form again with every problem.
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<PlanForm>,
) -> Result<Response, ApiError> {
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    let metadata = context.metadata();
    let create = |input| backups::create_plan(&state.db, &seal, &policy, input, &metadata);
    let result = submit(&state, &form, None, create).await;
    finish(&state, &request, &principal, form, None, result, None).await
}

/// `POST /backups/{id}` (admin): changes the plan and shows it, or the form again with every problem.
pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<PlanForm>,
) -> Result<Response, ApiError> {
    let Some(plan_id) = uuid(&id) else { return not_found(&request, &principal).await };
    // The read model's last change before this one: the plan's page waits until it has moved on.
    let before = read::plan(&state.db.read_models, plan_id).await.map_err(|e| ApiError::internal(&e))?;
    let before = before.map(|plan| plan.updated_at);
    let seal = backups::seal_key(state.config.secret_key_bytes());
    let policy = backups::path_policy(&state.config);
    let metadata = context.metadata();
    let result = submit(&state, &form, Some(plan_id), |input| async {
        backups::update_plan(&state.db, &seal, &policy, plan_id, input, &metadata).await.map(|()| plan_id)
    })
    .await;
    finish(&state, &request, &principal, form, Some(plan_id), result, before).await
}

/// The plan's page once the read model shows the change; the form again on a refusal.
async fn finish(
    state: &AppState,
    request: &PageRequest,
    principal: &Principal,
    form: PlanForm,
    editing: Option<Uuid>,
    result: Result<Uuid, BackupCommandError>,
    changed_from: Option<String>,
) -> Result<Response, ApiError> {
    match result {
        Ok(plan_id) => {
            let pool = &state.db.read_models;
            // A change that changed nothing records nothing: the page then waits out the settle limit at worst.
            let visible = || async {
                read::plan(pool, plan_id)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|plan| Some(&plan.updated_at) != changed_from.as_ref())
            };
            crate::projections::settle(visible).await;
            let done = if editing.is_some() { "updated" } else { "created" };
            Ok(request.prefix.redirect(&format!("/backups/{plan_id}?done={done}")).into_response())
        }
        Err(BackupCommandError::Invalid(problems)) => {
            render(request, principal, StatusCode::UNPROCESSABLE_ENTITY, form, editing, problems).await
        }
        Err(BackupCommandError::PlanMissing(_)) => not_found(request, principal).await,
        Err(e) => {
            let e = ApiError::from(e);
            if !e.is_refusal() {
                return Err(e);
            }
            let problems = vec![("form".to_owned(), e.message().clone())];
            render(request, principal, e.status(), form, editing, problems).await
        }
    }
}
