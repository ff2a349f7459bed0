//! The site form (admin, signed in): a new site, or a site changed. Everything the API checks is checked here
//! the same way (`SiteInput::into_spec` and the same command); every problem is shown beside its field at once,
//! and nothing is recorded until the whole site is valid. The environment's values and the deploy key are never
//! shown again: an empty value keeps the stored one, as `null` does in the API's `PUT`. A new site's page shows
//! its webhook URL and secret once.

mod site_form;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use lawha_domain::{Message, deployments::SiteRejection};
use uuid::Uuid;

pub use site_form::SiteForm;
use site_form::{FIELDS, RUNTIMES};

use super::{
    not_found, section_page,
    site::{self, Shown},
    site_named, uuid,
};
use crate::{
    deployments::{DeployError, SiteInput, commands, input::api_field, read},
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        Page,
        form::{FieldView, FormText, Input, form_problems},
        kit::Alerts,
        request::PageRequest,
    },
    users::api::account::no_store,
};

/// The site as the API takes it when the form is valid; otherwise every problem at once: the form's own and,
/// for what could be read, the API's checks (what they seal is forgotten again: nothing is recorded).
async fn checked(state: &AppState, form: &SiteForm, editing: Option<Uuid>) -> Result<SiteInput, DeployError> {
    let pool = &state.db.read_models;
    let stored = match editing {
        Some(id) => read::site(pool, id).await?.ok_or_else(|| DeployError::site_missing(&id))?.env_names,
        None => Vec::new(),
    };
    let (input, mut problems) = form.input(&stored);
    if problems.is_empty() {
        return Ok(input);
    }
    let seal = commands::seal_key(state.config.secret_key_bytes());
    let current = match editing {
        Some(id) => Some(commands::live_site(&state.db, id).await?.1),
        None => None,
    };
    let own_host = &state.config.deployments.host;
    match input.into_spec(&state.db, &seal, own_host, editing, current.as_ref()).await {
        Ok((_, kept)) => kept.forget(&state.db).await,
        Err(DeployError::Invalid(more)) => {
            // A field the form already named keeps its one problem; so do the ports, whose sameness means
            // nothing when one of them could not be read.
            let named =
                |field: &str| problems.iter().any(|(f, _)| f == field || (field == "ports" && f.starts_with("ports.")));
            let fresh: Vec<_> = more.into_iter().filter(|(field, _)| !named(field)).collect();
            problems.extend(fresh);
        }
        Err(e) => return Err(e),
    }
    Err(DeployError::Invalid(problems))
}

/// The form page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "site_form.html")]
pub struct FormPage {
    /// Shared part.
    pub page: Page,
    /// The values shown (never a key or a stored value).
    pub form: SiteForm,
    /// The site being changed, or None for a new one.
    pub site_id: Option<String>,
    /// Whether the site keeps a deploy key (the form then offers to remove it).
    pub has_deploy_key: bool,
    /// Whether a key was sent with a refused form: it is not sent back, so it must be pasted again.
    pub key_dropped: bool,
    /// The problems, by form field.
    pub problems: Vec<(String, String)>,
    /// The runtimes: (value, label).
    pub runtimes: Vec<(&'static str, String)>,
}

impl FormPage {
    fn text(&self) -> FormText<'_> {
        FormText { page: &self.page, prefix: "site-field", fields: &FIELDS, problems: &self.problems }
    }

    /// The one-line inputs named, in order, for `backup_field.html`.
    pub fn fields(&self, names: &[&'static str]) -> Vec<FieldView> {
        let (f, text) = (&self.form, self.text());
        let view = |name: &'static str| {
            let (value, input): (&String, Input) = match name {
                "name" => (&f.name, ("text", 0, true, true)),
                "repository" => (&f.repository, ("text", 0, true, true)),
                "branch" => (&f.branch, ("text", 0, true, true)),
                "build_command" => (&f.build_command, ("text", 0, true, false)),
                "start_command" => (&f.start_command, ("text", 0, true, true)),
                "health_path" => (&f.health_path, ("text", 0, true, true)),
                "port_blue" => (&f.port_blue, ("number", 1024, false, true)),
                "port_green" => (&f.port_green, ("number", 1024, false, true)),
                "releases_to_keep" => (&f.releases_to_keep, ("number", 1, false, false)),
                _ => (&f.host, ("text", 0, true, false)),
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
        match &self.site_id {
            Some(id) => format!("{}/sites/{id}", self.page.prefix),
            None => format!("{}/sites", self.page.prefix),
        }
    }
}

/// What the form page shows besides the form.
#[derive(Debug, Default)]
struct Context {
    site_id: Option<Uuid>,
    has_deploy_key: bool,
    problems: Vec<(String, Message)>,
}

async fn render(
    request: &PageRequest,
    principal: &Principal,
    status: StatusCode,
    mut form: SiteForm,
    context: Context,
) -> Result<Response, ApiError> {
    let title = if context.site_id.is_some() { "site-edit-title" } else { "site-new-title" };
    let page = section_page(request, principal, title).await?;
    let runtimes = RUNTIMES.map(|r| (r, page.t(&format!("site-runtime-{r}")))).into();
    // The API names some problems by a spec field (`env.names`); the form by the input field.
    let problems = context.problems.into_iter().map(|(field, problem)| (api_field(&field).to_owned(), problem));
    let problems = form_problems(page.lang, &FIELDS, problems.collect());
    // A deploy key is never sent back, not even the one just typed.
    let key_dropped = !std::mem::take(&mut form.deploy_key).trim().is_empty();
    let body = FormPage {
        site_id: context.site_id.map(|id| id.to_string()),
        has_deploy_key: context.has_deploy_key,
        key_dropped,
        page,
        form,
        problems,
        runtimes,
    };
    Ok((status, body).into_response())
}

/// `GET /sites/new` (admin).
pub async fn new(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let form = SiteForm {
        branch: "main".into(),
        runtime: "process".into(),
        health_path: "/health".into(),
        releases_to_keep: lawha_domain::deployments::DEFAULT_RELEASES_TO_KEEP.to_string(),
        host: state.config.deployments.host.clone(),
        ..SiteForm::default()
    };
    render(&request, &principal, StatusCode::OK, form, Context::default()).await
}

/// `GET /sites/{id}/edit` (admin).
pub async fn edit(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(site) = site_named(&state, &id).await? else { return not_found(&request, &principal).await };
    let context = Context { site_id: uuid(&site.id), has_deploy_key: site.has_deploy_key, problems: Vec::new() };
    render(&request, &principal, StatusCode::OK, SiteForm::from_site(&site), context).await
}

/// `POST /sites` (admin): creates the site and shows it with its webhook secret, once; or the form again with
/// every problem.
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Form(form): Form<SiteForm>,
) -> Result<Response, ApiError> {
    let result = match checked(&state, &form, None).await {
        Ok(input) => {
            let seal = commands::seal_key(state.config.secret_key_bytes());
            let own_host = &state.config.deployments.host;
            commands::create_site(&state.db, &seal, own_host, input, &context.metadata()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            read::wait_site(&state.db.read_models, created.site_id, 1).await;
            let page = section_page(&request, &principal, "site-title").await?;
            let alerts = Alerts::notice(Some(page.t("site-done-created")));
            let shown = Shown { status: StatusCode::CREATED, alerts, secret: Some(created.webhook_secret) };
            let id = created.site_id.to_string();
            site::render(&state, page, &principal, &headers, &id, shown).await.map(no_store)
        }
        Err(e) => refused(&request, &principal, form, Context::default(), e).await,
    }
}

/// `POST /sites/{id}` (admin): changes the site and shows it, or the form again with every problem.
pub async fn update(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<SiteForm>,
) -> Result<Response, ApiError> {
    let Some(site) = site_named(&state, &id).await? else { return not_found(&request, &principal).await };
    let site_id = uuid(&site.id).unwrap_or_default();
    let result = match checked(&state, &form, Some(site_id)).await {
        Ok(input) => {
            let seal = commands::seal_key(state.config.secret_key_bytes());
            let own_host = &state.config.deployments.host;
            commands::update_site(&state.db, &seal, own_host, site_id, input, &context.metadata()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            let pool = &state.db.read_models;
            // A change that changed nothing records nothing: the page then waits out the settle limit at worst.
            let changed = || async {
                read::site(pool, site_id).await.ok().flatten().is_some_and(|s| s.updated_at != site.updated_at)
            };
            crate::projections::settle(changed).await;
            Ok(request.prefix.redirect(&format!("/sites/{site_id}?done=updated")).into_response())
        }
        Err(e) => {
            let context = Context { site_id: Some(site_id), has_deploy_key: site.has_deploy_key, problems: Vec::new() };
            refused(&request, &principal, form, context, e).await
        }
    }
}

/// The form again with every problem (422), or with the refusal's message; a 404 page for a site gone.
async fn refused(
    request: &PageRequest,
    principal: &Principal,
    form: SiteForm,
    mut context: Context,
    e: DeployError,
) -> Result<Response, ApiError> {
    let status = match e {
        DeployError::Invalid(problems) => {
            context.problems = problems;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        DeployError::Site(SiteRejection::Invalid(problems)) => {
            context.problems = problems.into_iter().map(|(field, problem)| (field.to_owned(), problem)).collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        DeployError::SiteMissing(_) | DeployError::Site(SiteRejection::NotFound | SiteRejection::Deleted) => {
            return not_found(request, principal).await;
        }
        e => {
            let e = ApiError::from(e);
            if !e.is_refusal() {
                return Err(e);
            }
            context.problems = vec![("form".to_owned(), e.message().clone())];
            e.status()
        }
    };
    render(request, principal, status, form, context).await
}
