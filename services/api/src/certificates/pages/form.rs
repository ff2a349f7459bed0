//! The form of a new certificate (admin, signed in). Everything the API checks is checked here the same way
//! (`CertificateInput::into_spec` and the same command); every problem is shown beside its field at once, and
//! nothing is recorded until the whole certificate is valid. A certificate's spec does not change once asked
//! for: a different one is a new certificate.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension, Form,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::Message;
use serde::Deserialize;

use super::section_page;
use crate::{
    certificates::{
        CertError, CertificateInput, commands,
        input::{ChallengeName, KeyTypeName},
        read,
    },
    http::{auth::Principal, context::RequestContext, error::ApiError},
    state::AppState,
    ui::{
        Page,
        form::{FieldView, FormText, Input, form_problems},
        request::PageRequest,
    },
};

/// The form's fields: (form name, API name).
const FIELDS: [(&str, &str); 9] = [
    ("names", "names"),
    ("challenge", "challenge"),
    ("dns_hook", "dns_hook"),
    ("directory", "directory"),
    ("trusted_root", "trusted_root"),
    ("email", "email"),
    ("key_type", "key_type"),
    ("profile", "profile"),
    ("host", "host"),
];

/// The form as sent: every field as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CertificateForm {
    /// One name a line (or separated by spaces or commas).
    pub names: String,
    /// `http-01` or `dns-01`.
    pub challenge: String,
    /// The DNS-01 hook command.
    pub dns_hook: String,
    /// `letsencrypt`, `letsencrypt-staging`, or a directory URL.
    pub directory: String,
    /// A root to trust for a directory URL.
    pub trusted_root: String,
    /// The account's contact address.
    pub email: String,
    /// `ecdsa-p256` or `rsa-2048`.
    pub key_type: String,
    /// An ACME profile.
    pub profile: String,
    /// The host whose nginx serves the names.
    pub host: String,
}

impl CertificateForm {
    /// The input the API would take; the form's own problems (an unknown challenge or key type) besides.
    fn input(&self) -> (CertificateInput, Vec<(String, Message)>) {
        let mut problems = Vec::new();
        let names = self.names.split(|c: char| c.is_whitespace() || c == ',').filter(|n| !n.is_empty());
        let challenge = match self.challenge.as_str() {
            "dns-01" => ChallengeName::Dns01,
            "http-01" | "" => ChallengeName::Http01,
            other => {
                problems.push(("challenge".into(), crate::certificates::messages::challenge_unknown(other)));
                ChallengeName::Http01
            }
        };
        let key_type = match self.key_type.as_str() {
            "rsa-2048" => KeyTypeName::Rsa2048,
            "ecdsa-p256" | "" => KeyTypeName::EcdsaP256,
            other => {
                problems.push(("key_type".into(), crate::certificates::messages::key_type_unknown(other)));
                KeyTypeName::EcdsaP256
            }
        };
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let input = CertificateInput {
            names: names.map(str::to_owned).collect(),
            challenge,
            // The hook field stays on the page when http-01 is chosen; it only counts with dns-01.
            dns_hook: text(&self.dns_hook).filter(|_| challenge == ChallengeName::Dns01),
            directory: text(&self.directory),
            trusted_root: text(&self.trusted_root),
            email: text(&self.email),
            key_type,
            profile: text(&self.profile),
            host: text(&self.host),
        };
        (input, problems)
    }
}

/// The form page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "certificate_form.html")]
pub struct FormPage {
    /// Shared part.
    pub page: Page,
    /// The values shown.
    pub form: CertificateForm,
    /// The problems, by form field.
    pub problems: Vec<(String, String)>,
}

impl FormPage {
    fn text(&self) -> FormText<'_> {
        FormText { page: &self.page, prefix: "certificate-field", fields: &FIELDS, problems: &self.problems }
    }

    /// The one-line inputs named, in order, for `backup_field.html`.
    pub fn fields(&self, names: &[&'static str]) -> Vec<FieldView> {
        let (f, text) = (&self.form, self.text());
        let view = |name: &'static str| {
            let value: &String = match name {
                "dns_hook" => &f.dns_hook,
                "trusted_root" => &f.trusted_root,
                "email" => &f.email,
                "profile" => &f.profile,
                _ => &f.host,
            };
            let input: Input = ("text", 0, name != "profile", name == "host");
            text.view(name, value, input)
        };
        names.iter().map(|&name| view(name)).collect()
    }

    /// A form field's label.
    pub fn label(&self, field: &str) -> String {
        self.text().label(field)
    }

    /// The problem of a form field, for the template.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.text().problem(field)
    }
}

async fn render(
    request: &PageRequest,
    principal: &Principal,
    status: StatusCode,
    form: CertificateForm,
    problems: Vec<(String, Message)>,
) -> Result<Response, ApiError> {
    let page = section_page(request, principal, "certificate-new-title").await?;
    // `names[2]` and the like are the names field's: the message names the name.
    let problems = problems.into_iter().map(|(field, problem)| {
        let field = if field.starts_with("names") { "names".to_owned() } else { field };
        (field, problem)
    });
    let problems = form_problems(page.lang, &FIELDS, problems.collect());
    Ok((status, FormPage { page, form, problems }).into_response())
}

/// `GET /certificates/new` (admin).
pub async fn new(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let form = CertificateForm {
        challenge: "http-01".into(),
        directory: "letsencrypt".into(),
        key_type: "ecdsa-p256".into(),
        host: state.config.deployments.host.clone(),
        ..CertificateForm::default()
    };
    render(&request, &principal, StatusCode::OK, form, Vec::new()).await
}

/// `POST /certificates` (admin): asks for the certificate, then shows its page; or the form again with every
/// problem.
pub async fn create(
    State(state): State<AppState>,
    context: RequestContext,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Form(form): Form<CertificateForm>,
) -> Result<Response, ApiError> {
    let (input, mut problems) = form.input();
    let own_host = &state.config.deployments.host;
    let result = if problems.is_empty() {
        commands::request(&state.db, own_host, input, &context.metadata()).await
    } else {
        // The form's own problems, and every one the API's checks find besides.
        Err(input.into_spec(&state.db, own_host).await.err().unwrap_or(CertError::Invalid(Vec::new())))
    };
    match result {
        Ok(requested) => {
            read::wait(&state.db.read_models, requested.certificate_id, 1).await;
            let path = format!("/certificates/{}?done=requested", requested.certificate_id);
            Ok(request.prefix.redirect(&path).into_response())
        }
        Err(CertError::Invalid(more)) => {
            let fresh: Vec<_> = more.into_iter().filter(|(f, _)| !problems.iter().any(|(p, _)| p == f)).collect();
            problems.extend(fresh);
            render(&request, &principal, StatusCode::UNPROCESSABLE_ENTITY, form, problems).await
        }
        Err(e) => Err(e.into()),
    }
}
