//! Translations: every user-visible string of the UI comes from `locales/<lang>/*.ftl` through [`t`], and every
//! message the domain, the engines and the workers emit as a code (`lawha_domain::Message`) is rendered through
//! [`render`]. `main.ftl` holds the pages' own words; `domain.ftl`, `pipeline.ftl`, `engine.ftl`, `worker.ftl` and
//! `panel.ftl` the messages of each layer, and the deploy and cert workers' `deploy.ftl` and `certs.ftl` beside
//! their crates (`workers/deploy/locales`, `workers/certs/locales`) (the code `a.b_c` is the Fluent message `a-b_c`).
//!
//! The Fluent resources are compiled into the binary and parsed once, on first use, into one
//! [`FluentBundle`](fluent_bundle::concurrent::FluentBundle) per language (the concurrent flavour, so the
//! bundles can be shared by every request thread). Bidi isolation stays on: Fluent wraps each placeable in
//! FSI…PDI marks, which is what keeps a Latin user name or a number from reordering the Arabic sentence around it.

pub mod catalogs;
mod format;
mod lang;

use std::collections::HashSet;
use std::fmt;
use std::sync::{LazyLock, Mutex};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use lawha_domain::{Arg, Message};

pub use fluent_bundle::FluentValue;
pub use format::{format_datetime, format_number, localize_digits};
pub use lang::Lang;

/// The English resources, the reference every other language is compared with: (file name, text).
pub(crate) const EN_FTL: &[(&str, &str)] = &[
    ("main.ftl", include_str!("../../locales/en/main.ftl")),
    ("domain.ftl", include_str!("../../locales/en/domain.ftl")),
    ("pipeline.ftl", include_str!("../../locales/en/pipeline.ftl")),
    ("engine.ftl", include_str!("../../locales/en/engine.ftl")),
    ("worker.ftl", include_str!("../../locales/en/worker.ftl")),
    ("panel.ftl", include_str!("../../locales/en/panel.ftl")),
    ("deploy.ftl", include_str!("../../../../workers/deploy/locales/en/deploy.ftl")),
    ("certs.ftl", include_str!("../../../../workers/certs/locales/en/certs.ftl")),
];
/// The Arabic resources, file for file.
pub(crate) const AR_FTL: &[(&str, &str)] = &[
    ("main.ftl", include_str!("../../locales/ar/main.ftl")),
    ("domain.ftl", include_str!("../../locales/ar/domain.ftl")),
    ("pipeline.ftl", include_str!("../../locales/ar/pipeline.ftl")),
    ("engine.ftl", include_str!("../../locales/ar/engine.ftl")),
    ("worker.ftl", include_str!("../../locales/ar/worker.ftl")),
    ("panel.ftl", include_str!("../../locales/ar/panel.ftl")),
    ("deploy.ftl", include_str!("../../../../workers/deploy/locales/ar/deploy.ftl")),
    ("certs.ftl", include_str!("../../../../workers/certs/locales/ar/certs.ftl")),
];

/// Both languages' messages, parsed once.
pub struct Translations {
    /// The English bundle.
    en: FluentBundle<FluentResource>,
    /// The Arabic bundle.
    ar: FluentBundle<FluentResource>,
}

impl fmt::Debug for Translations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Translations").finish_non_exhaustive()
    }
}

static TRANSLATIONS: LazyLock<Translations> = LazyLock::new(Translations::load);

/// The (language, id) pairs already reported missing or broken, so a page rendered a thousand times logs once.
static REPORTED: LazyLock<Mutex<HashSet<(Lang, String)>>> = LazyLock::new(Mutex::default);

impl Translations {
    /// The process-wide translations.
    pub fn get() -> &'static Translations {
        &TRANSLATIONS
    }

    /// Parses the embedded resources. They are part of the binary and a unit test parses them, so a syntax
    /// error here is a build defect, not a runtime condition: it panics.
    fn load() -> Translations {
        Translations { en: bundle(Lang::En, EN_FTL), ar: bundle(Lang::Ar, AR_FTL) }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Ar => &self.ar,
        }
    }

    /// Whether `lang` has a message `id`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// The message `id` in `lang` with `args` filled in; the id itself when there is no such message.
    pub fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
            report_once(lang, id, "missing translation");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            report_once(lang, id, "translation could not be fully formatted");
        }
        text.into_owned()
    }
}

fn bundle(lang: Lang, sources: &[(&str, &str)]) -> FluentBundle<FluentResource> {
    let langid = lang.code().parse().unwrap_or_else(|_| panic!("{} is not a language identifier", lang.code()));
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    for (file, source) in sources {
        let resource = FluentResource::try_new((*source).to_owned())
            .unwrap_or_else(|(_, errors)| panic!("locales/{}/{file} does not parse: {errors:?}", lang.code()));
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("locales/{}/{file} repeats messages: {errors:?}", lang.code()));
    }
    bundle.set_formatter(Some(match lang {
        Lang::En => |value, _| format::fluent_number(Lang::En, value),
        Lang::Ar => |value, _| format::fluent_number(Lang::Ar, value),
    }));
    bundle
}

fn report_once(lang: Lang, id: &str, problem: &str) {
    let first = REPORTED.lock().map(|mut reported| reported.insert((lang, id.to_owned()))).unwrap_or(false);
    if first {
        tracing::warn!(ui.lang = lang.code(), ui.message_id = id, "{problem}");
    }
}

/// The message `id` in `lang`; the id itself (logged once) when it is missing.
pub fn t(lang: Lang, id: &str) -> String {
    Translations::get().format(lang, id, None)
}

/// The message `id` in `lang` with its placeables filled in, e.g.
/// `t_args(lang, "sign-in-error-locked", &[("minutes", 5.into())])`. Pass numbers as numbers: they are
/// formatted for the language and choose the plural form.
pub fn t_args(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    Translations::get().format(lang, id, Some(&fluent_args))
}

/// An audit summary in `lang`: the stored summary reads "Words of the type (field=value, …)"; the words are
/// replaced by the message `event-<Type>` when the language has one (the fields are data and stay as recorded).
pub fn summary(lang: Lang, event_type: &str, stored: &str) -> String {
    let id = format!("event-{event_type}");
    if !Translations::get().has(lang, &id) {
        return stored.to_owned();
    }
    let words = t(lang, &id);
    match stored.find(" (") {
        Some(at) => format!("{words}{}", &stored[at..]),
        None => words,
    }
}

/// A message in `lang`: its code's Fluent message (`a.b_c` → `a-b_c`) with the arguments filled in, a nested
/// message or a list of them rendered first in the same language. A code this build has no translation for (a
/// newer release recorded it) reads as the code and its arguments, so nothing is ever silently lost.
///
/// In a right-to-left language every argument stays isolated (FSI…PDI), so a path or a Latin name does not
/// reorder the sentence around it; in English the marks are left out, as plain text compares and copies better.
pub fn render(lang: Lang, message: &Message) -> String {
    let text = render_isolated(lang, message);
    if lang.dir() == "ltr" { text.replace(['\u{2068}', '\u{2069}'], "") } else { text }
}

fn render_isolated(lang: Lang, message: &Message) -> String {
    if message.code == lawha_domain::message::TEXT
        && let Some(text) = message.arg(lawha_domain::message::TEXT)
    {
        return text.to_string();
    }
    let id = message.code.replace('.', "-");
    let translations = Translations::get();
    if !translations.has(lang, &id) {
        report_once(lang, &id, "missing translation");
        return message.to_string();
    }
    let mut args = FluentArgs::with_capacity(message.args.len());
    for (name, value) in &message.args {
        let value = match value {
            Arg::Number(n) => FluentValue::from(*n),
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Message(inner) => FluentValue::from(render_isolated(lang, inner)),
            Arg::List(items) => {
                let separator = if lang == Lang::Ar { "؛ " } else { "; " };
                FluentValue::from(items.iter().map(|m| render_isolated(lang, m)).collect::<Vec<_>>().join(separator))
            }
        };
        args.set(name.clone(), value);
    }
    translations.format(lang, &id, Some(&args))
}

/// A message in English, the language of the JSON API's `message` texts and of logs read by people.
pub fn english(message: &Message) -> String {
    render(Lang::En, message)
}

#[cfg(test)]
mod tests;
