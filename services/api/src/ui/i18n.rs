//! Translations: every user-visible string of the UI comes from `locales/<lang>/main.ftl` through [`t`].
//!
//! The Fluent resources are compiled into the binary and parsed once, on first use, into one
//! [`FluentBundle`](fluent_bundle::concurrent::FluentBundle) per language (the concurrent flavour, so the
//! bundles can be shared by every request thread). Bidi isolation stays on: Fluent wraps each placeable in
//! FSI…PDI marks, which is what keeps a Latin user name or a number from reordering the Arabic sentence around it.

mod format;
mod lang;

use std::collections::HashSet;
use std::fmt;
use std::sync::{LazyLock, Mutex};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub use fluent_bundle::FluentValue;
pub use format::{format_datetime, format_number, localize_digits};
pub use lang::Lang;

/// The English messages, the reference every other language is compared with.
const EN_FTL: &str = include_str!("../../locales/en/main.ftl");
/// The Arabic messages.
const AR_FTL: &str = include_str!("../../locales/ar/main.ftl");

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

fn bundle(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("locales/{}/main.ftl does not parse: {errors:?}", lang.code()));
    let langid = lang.code().parse().unwrap_or_else(|_| panic!("{} is not a language identifier", lang.code()));
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("locales/{}/main.ftl repeats messages: {errors:?}", lang.code()));
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

/// The sentence a page shows for a refused request: the message `error-code-<code>` when there is one, else the
/// API's own message (which names the particular field or value).
pub fn refusal(lang: Lang, code: &str, message: &str) -> String {
    let id = format!("error-code-{code}");
    if Translations::get().has(lang, &id) { t(lang, &id) } else { message.to_owned() }
}

#[cfg(test)]
mod tests {
    #[test]
    fn summaries_and_refusals_are_translated_when_a_message_exists() {
        assert_eq!(
            summary(Lang::Ar, "SignedIn", "Signed in (user=amira)"),
            format!("{} (user=amira)", t(Lang::Ar, "event-SignedIn"))
        );
        assert_eq!(summary(Lang::Ar, "NoteMade", "Note made (x=1)"), "Note made (x=1)");
        assert_eq!(
            refusal(Lang::Ar, "wrong_password", "the current password is wrong"),
            t(Lang::Ar, "error-code-wrong_password")
        );
        assert_eq!(refusal(Lang::Ar, "invalid_input", "bad name"), "bad name");
    }

    use std::collections::BTreeSet;

    use super::*;

    /// First Strong Isolate and Pop Directional Isolate, which Fluent puts around every placeable.
    fn without_isolation(text: &str) -> String {
        text.replace(['\u{2068}', '\u{2069}'], "")
    }

    /// The message ids a resource defines: in Fluent syntax a message starts at column 0 with an identifier
    /// followed by `=`; comments start with `#`, terms with `-`, continuation lines with a space.
    fn message_ids(source: &str) -> BTreeSet<&str> {
        source
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(id, _)| id)
            .filter(|id| id.starts_with(|c: char| c.is_ascii_alphabetic()))
            .map(str::trim_end)
            .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .collect()
    }

    #[test]
    fn both_languages_define_the_same_messages() {
        for (lang, source) in [(Lang::En, EN_FTL), (Lang::Ar, AR_FTL)] {
            assert!(FluentResource::try_new(source.to_owned()).is_ok(), "{lang:?} does not parse");
        }
        let en = message_ids(EN_FTL);
        let ar = message_ids(AR_FTL);
        assert!(en.len() > 100, "the id scan found only {} English messages", en.len());
        let only_en: Vec<_> = en.difference(&ar).collect();
        let only_ar: Vec<_> = ar.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in Arabic: {only_en:?}");
        assert!(only_ar.is_empty(), "missing in English: {only_ar:?}");
        for id in &en {
            for lang in Lang::ALL {
                assert!(Translations::get().has(lang, id), "{lang:?} bundle lacks {id}");
            }
        }
    }

    #[test]
    fn a_message_is_looked_up_in_its_language() {
        assert_eq!(t(Lang::En, "nav-audit"), "Audit log");
        assert_eq!(t(Lang::Ar, "nav-audit"), "سجل التدقيق");
        assert_eq!(t(Lang::Ar, "app-name"), "لوحة");
    }

    #[test]
    fn a_missing_message_is_its_own_id() {
        assert_eq!(t(Lang::En, "no-such-message"), "no-such-message");
        assert_eq!(t(Lang::Ar, "no-such-message"), "no-such-message");
    }

    #[test]
    fn placeables_are_isolated_and_numbers_localized() {
        let en = t_args(Lang::En, "audit-chain-broken", &[("position", 12_345.into())]);
        assert_eq!(en, "The chain is broken at position \u{2068}12,345\u{2069}.");
        let ar = t_args(Lang::Ar, "audit-chain-broken", &[("position", 12_345.into())]);
        assert_eq!(without_isolation(&ar), "السلسلة مكسورة عند الموضع ١٢٬٣٤٥.");
        let user = t_args(Lang::Ar, "header-signed-in-as", &[("user", "admin".into())]);
        assert!(user.contains("\u{2068}admin\u{2069}"), "{user}");
    }

    #[test]
    fn plural_forms_follow_each_language() {
        let locked = |lang, minutes: i64| {
            without_isolation(&t_args(lang, "sign-in-error-locked", &[("minutes", minutes.into())]))
        };
        assert_eq!(locked(Lang::En, 1), "This account is locked. Try again in one minute.");
        assert_eq!(locked(Lang::En, 15), "This account is locked. Try again in 15 minutes.");
        assert!(locked(Lang::Ar, 1).ends_with("بعد دقيقة واحدة."), "{}", locked(Lang::Ar, 1));
        assert!(locked(Lang::Ar, 2).ends_with("بعد دقيقتين."), "{}", locked(Lang::Ar, 2));
        assert!(locked(Lang::Ar, 5).ends_with("بعد ٥ دقائق."), "{}", locked(Lang::Ar, 5));
        assert!(locked(Lang::Ar, 15).ends_with("بعد ١٥ دقيقة."), "{}", locked(Lang::Ar, 15));
    }
}
