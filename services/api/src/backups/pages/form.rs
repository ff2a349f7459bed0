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
use lawha_domain::backups::{Encryption, Retention, SourceKind};
use serde::Deserialize;
use uuid::Uuid;

use super::{not_found, plan_named, section_page, uuid};
use crate::{
    backups::{self, BackupCommandError, PlanInput, input::DestinationInput, input::SourceInput, read},
    state::AppState,
    ui::Page,
};
use crate::{
    http::{auth::Principal, context::RequestContext, error::ApiError},
    ui::request::PageRequest,
};

/// The form's fields as typed (all text, so a mistyped number comes back as typed, with its problem).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    /// The plan's name.
    pub name: String,
    /// `directory`, `sqlite`, `postgres` or `mysql`.
    pub source_kind: String,
    /// The folder or SQLite file (directory and sqlite).
    pub source_path: String,
    /// The database URL (postgres and mysql).
    pub source_url: String,
    /// The destination folder.
    pub destination_path: String,
    /// A cron expression, or empty for runs by hand only.
    pub schedule: String,
    /// The schedule's zone.
    pub timezone: String,
    /// Keep the newest N (empty: no limit).
    pub keep_last: String,
    /// Keep those younger than N days.
    pub keep_days: String,
    /// Keep at most this many MiB in all.
    pub max_total_mib: String,
    /// zstd level.
    pub compression_level: String,
    /// An age recipient, or empty for no encryption.
    pub recipient: String,
}

/// The form fields and the API fields their problems are reported under.
const FIELDS: [(&str, &str); 12] = [
    ("name", "name"),
    ("source_kind", "source.kind"),
    ("source_path", "source.path"),
    ("source_url", "source.url"),
    ("destination_path", "destination.path"),
    ("schedule", "schedule"),
    ("timezone", "timezone"),
    ("keep_last", "retention.keep_last"),
    ("keep_days", "retention.keep_days"),
    ("max_total_mib", "retention.max_total_bytes"),
    ("compression_level", "compression_level"),
    ("recipient", "encryption.recipient"),
];

const MIB: u64 = 1024 * 1024;

impl PlanForm {
    /// A form showing `plan` as it is stored (the URL's password as `***`).
    fn from_plan(plan: &read::PlanView) -> Self {
        let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let number = |key: &str| plan.retention.get(key).and_then(serde_json::Value::as_u64);
        Self {
            name: plan.name.clone(),
            source_kind: text(&plan.source, "kind"),
            source_path: text(&plan.source, "path"),
            source_url: text(&plan.source, "url"),
            destination_path: text(&plan.destination, "path"),
            schedule: plan.schedule.clone().unwrap_or_default(),
            timezone: plan.timezone.clone(),
            keep_last: number("keep_last").map(|n| n.to_string()).unwrap_or_default(),
            keep_days: number("keep_days").map(|n| n.to_string()).unwrap_or_default(),
            max_total_mib: number("max_total_bytes").map(|n| n.div_ceil(MIB).to_string()).unwrap_or_default(),
            compression_level: plan.compression_level.to_string(),
            recipient: plan.encryption.as_ref().map(|e| text(e, "recipient")).unwrap_or_default(),
        }
    }

    /// The plan as the API takes it, and the problems of fields that are not even of the right type (under
    /// the API's field names; such a field is left out of the plan). No plan when the kind is unknown.
    fn input(&self) -> (Option<PlanInput>, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let mut whole = |field: &str, text: &str| -> Option<u64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = text.parse::<u64>().ok();
            if parsed.is_none() {
                problems.push((field.to_owned(), format!("{text:?} is not a whole number")));
            }
            parsed
        };
        let keep_last = whole("retention.keep_last", &self.keep_last).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let keep_days = whole("retention.keep_days", &self.keep_days).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let max_total_bytes = whole("retention.max_total_bytes", &self.max_total_mib).map(|n| n.saturating_mul(MIB));
        let level = whole("compression_level", &self.compression_level).map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let kind = serde_json::from_value::<SourceKind>(serde_json::Value::String(self.source_kind.clone()));
        let Ok(kind) = kind else {
            problems.push(("source.kind".into(), "choose directory, sqlite, postgres or mysql".into()));
            return (None, problems);
        };
        let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let (path, url) =
            if kind.uses_url() { (None, filled(&self.source_url)) } else { (filled(&self.source_path), None) };
        let input = PlanInput {
            name: self.name.trim().to_owned(),
            source: SourceInput { kind, path, url },
            destination: DestinationInput { kind: "local".into(), path: self.destination_path.trim().to_owned() },
            schedule: filled(&self.schedule),
            timezone: filled(&self.timezone),
            retention: Retention { keep_last, keep_days, max_total_bytes },
            compression_level: level,
            encryption: filled(&self.recipient).map(|recipient| Encryption { recipient }),
        };
        (Some(input), problems)
    }
}

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
            problems.extend(input.into_spec(&seal, taken).err().unwrap_or_default());
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

/// One input of the form, for `backup_field.html`.
#[derive(Debug)]
pub struct FieldView {
    /// The form field (`source_path`).
    pub name: &'static str,
    /// Its label and help, translated.
    pub label: String,
    /// See `label`.
    pub help: String,
    /// What it holds.
    pub value: String,
    /// `text` or `number`.
    pub input_type: &'static str,
    /// The least a number field takes.
    pub min: u32,
    /// Whether it is written left to right whatever the page's direction (paths, URLs, cron).
    pub ltr: bool,
    /// Whether it must be filled.
    pub required: bool,
    /// Its problem.
    pub problem: Option<String>,
}

impl FormPage {
    /// The inputs named, in order, for the template.
    pub fn fields(&self, names: &[&'static str]) -> Vec<FieldView> {
        names
            .iter()
            .map(|&name| {
                let f = &self.form;
                let (value, input_type, min, ltr, required) = match name {
                    "name" => (&f.name, "text", 0, true, true),
                    "source_path" => (&f.source_path, "text", 0, true, false),
                    "source_url" => (&f.source_url, "text", 0, true, false),
                    "destination_path" => (&f.destination_path, "text", 0, true, true),
                    "schedule" => (&f.schedule, "text", 0, true, false),
                    "timezone" => (&f.timezone, "text", 0, true, false),
                    "keep_last" => (&f.keep_last, "number", 1, false, false),
                    "keep_days" => (&f.keep_days, "number", 1, false, false),
                    "max_total_mib" => (&f.max_total_mib, "number", 1, false, false),
                    "compression_level" => (&f.compression_level, "number", 1, false, false),
                    _ => (&f.recipient, "text", 0, true, false),
                };
                FieldView {
                    name,
                    label: self.label(name),
                    help: self.page.t(&format!("backup-field-{name}-help")),
                    value: value.clone(),
                    input_type,
                    min,
                    ltr,
                    required,
                    problem: self.problem(name).map(str::to_owned),
                }
            })
            .collect()
    }

    /// A form field's label (its API name when the form has no such field).
    pub fn label(&self, field: &str) -> String {
        if FIELDS.iter().any(|(f, _)| *f == field) {
            self.page.t(&format!("backup-field-{field}"))
        } else {
            field.to_owned()
        }
    }

    /// The problem of a form field, for the template.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems.iter().find(|(f, _)| f == field).map(|(_, p)| p.as_str())
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
    problems: Vec<(String, String)>,
) -> Result<Response, ApiError> {
    let title = if plan_id.is_some() { "backup-edit-title" } else { "backup-new-title" };
    let page = section_page(request, principal, title).await?;
    let kinds = ["directory", "sqlite", "postgres", "mysql"].map(|k| (k, page.t(&format!("backup-kind-{k}")))).into();
    // Problems under the API's names move to the form's; one the form has no field for stays under its own.
    let problems = problems
        .into_iter()
        .map(|(field, problem)| {
            let form_field = FIELDS.iter().find(|(_, api)| *api == field).map_or(field.as_str(), |(f, _)| *f);
            (form_field.to_owned(), problem)
        })
        .collect();
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
    let metadata = context.metadata();
    let result = submit(&state, &form, None, |input| backups::create_plan(&state.db, &seal, input, &metadata)).await;
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
    let metadata = context.metadata();
    let result = submit(&state, &form, Some(plan_id), |input| async {
        backups::update_plan(&state.db, &seal, plan_id, input, &metadata).await.map(|()| plan_id)
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
        Err(BackupCommandError::NotFound(_)) => not_found(request, principal).await,
        Err(e) => {
            let e = ApiError::from(e);
            if e.status().is_server_error() {
                return Err(e);
            }
            let problems = vec![("form".to_owned(), e.message().to_owned())];
            render(request, principal, e.status(), form, editing, problems).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_the_api_input_and_bad_numbers_are_named() {
        let form = PlanForm {
            name: " web ".into(),
            source_kind: "postgres".into(),
            source_path: "/ignored".into(),
            source_url: "postgres://app:***@db/app".into(),
            destination_path: "/srv/backups".into(),
            keep_last: "7".into(),
            max_total_mib: "2".into(),
            ..PlanForm::default()
        };
        let (input, problems) = form.input();
        let input = input.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(input.name, "web");
        assert_eq!((input.source.path, input.source.url.as_deref()), (None, Some("postgres://app:***@db/app")));
        assert_eq!(input.retention.keep_last, Some(7));
        assert_eq!(input.retention.max_total_bytes, Some(2 * MIB));
        assert_eq!((input.schedule, input.compression_level, input.encryption.is_none()), (None, None, true));

        let bad = PlanForm { source_kind: "tape".into(), keep_days: "a week".into(), ..PlanForm::default() };
        let (input, problems) = bad.input();
        assert!(input.is_none(), "no plan without a kind");
        let fields: Vec<_> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["retention.keep_days", "source.kind"]);
        assert!(problems[0].1.contains("\"a week\" is not a whole number"));
    }
}
