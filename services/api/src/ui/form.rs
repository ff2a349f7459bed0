//! What every form page shares: its one-line inputs for `backup_field.html` ([`FieldView`]), each field's label,
//! help and problem looked up by the form's names ([`FormText`]), and the API's problems moved under the form's
//! field names ([`form_problems`]). A form page keeps its own fields (their names, values and kinds) only.

use lawha_domain::Message;

use super::{Lang, Page, kit::say};

/// One input of a form, for `backup_field.html`.
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

/// How one input is drawn: (`text` or `number`, the least number, left to right, required).
pub type Input = (&'static str, u32, bool, bool);

/// A form's words: `<prefix>-<field>` is a field's label and `<prefix>-<field>-help` its help; `fields` are the
/// form's (form name, API name) pairs; `problems` are by form field.
#[derive(Debug, Clone, Copy)]
pub struct FormText<'a> {
    /// The page, for its language.
    pub page: &'a Page,
    /// The message id prefix of the labels (`backup-field`).
    pub prefix: &'static str,
    /// (form field, API field).
    pub fields: &'static [(&'static str, &'static str)],
    /// The problems, by form field.
    pub problems: &'a [(String, String)],
}

impl<'a> FormText<'a> {
    /// A form field's label (its API name when the form has no such field).
    pub fn label(&self, field: &str) -> String {
        if self.fields.iter().any(|(f, _)| *f == field) {
            self.page.t(&format!("{}-{field}", self.prefix))
        } else {
            field.to_owned()
        }
    }

    /// The problem of a form field.
    pub fn problem(&self, field: &str) -> Option<&'a str> {
        self.problems.iter().find(|(f, _)| f == field).map(|(_, p)| p.as_str())
    }

    /// The input `name` holding `value`, drawn as `input` says.
    pub fn view(&self, name: &'static str, value: &str, input: Input) -> FieldView {
        let (input_type, min, ltr, required) = input;
        FieldView {
            name,
            label: self.label(name),
            help: self.page.t(&format!("{}-{name}-help", self.prefix)),
            value: value.to_owned(),
            input_type,
            min,
            ltr,
            required,
            problem: self.problem(name).map(str::to_owned),
        }
    }
}

/// The API's problems in `lang`, each under the form field of its API name (`fields`: (form, API) pairs); one the
/// form has no field for stays under its own name.
pub fn form_problems(
    lang: Lang,
    fields: &[(&'static str, &'static str)],
    problems: Vec<(String, Message)>,
) -> Vec<(String, String)> {
    problems
        .into_iter()
        .map(|(field, problem)| {
            let form_field = fields.iter().find(|(_, api)| *api == field).map_or(field.as_str(), |(f, _)| *f);
            (form_field.to_owned(), say(lang, &problem))
        })
        .collect()
}
