//! Both locales of this crate render every message with exactly its arguments, through the same Fluent library
//! the panel uses: each argument is given a marker, every marker must appear in the text (a select shows its
//! `*[other]` variant for a value it does not know, and that variant names the variable), and nothing may be
//! missing. Entries that are not codes (an id with a second `-`) would be helpers the messages reference.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use super::ALL;

/// Both locales, by name.
const LOCALES: [(&str, &str); 2] =
    [("en", include_str!("../../locales/en/certs.ftl")), ("ar", include_str!("../../locales/ar/certs.ftl"))];

/// A bundle of one locale's file, without isolation marks (so the markers can be found in the text).
fn bundle(lang: &str, source: &str) -> FluentBundle<FluentResource> {
    let langid: LanguageIdentifier = lang.parse().expect("language id");
    let mut bundle = FluentBundle::new(vec![langid]);
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(_, e)| panic!("{lang}: {e:?}"));
    bundle.add_resource(resource).unwrap_or_else(|e| panic!("{lang}: {e:?}"));
    bundle
}

/// The Fluent id of a code: `certs.app_killed` is `certs-acme_failed`.
fn fluent_id(code: &str) -> String {
    code.replacen('.', "-", 1)
}

/// Renders `id` with `args`; panics on any resolver error.
fn render(lang: &str, bundle: &FluentBundle<FluentResource>, id: &str, args: &FluentArgs) -> String {
    let message = bundle.get_message(id).unwrap_or_else(|| panic!("{lang}: {id} is missing"));
    let pattern = message.value().unwrap_or_else(|| panic!("{lang}: {id} has no value"));
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors).into_owned();
    assert!(errors.is_empty(), "{lang}: {id}: {errors:?}");
    text
}

#[test]
fn codes_are_unique_and_in_the_certs_layer() {
    let mut codes: Vec<&str> = ALL.iter().map(|spec| spec.code).collect();
    assert!(codes.iter().all(|code| code.starts_with("certs.") && !code[6..].contains(['.', '-'])));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), ALL.len(), "a code is declared twice");
}

#[test]
fn both_locales_render_every_message_with_exactly_its_arguments() {
    for (lang, source) in LOCALES {
        let bundle = bundle(lang, source);
        for spec in ALL {
            let id = fluent_id(spec.code);
            let mut marked = FluentArgs::new();
            for arg in spec.args {
                marked.set(*arg, format!("<{arg}>"));
            }
            let text = render(lang, &bundle, &id, &marked);
            for arg in spec.args {
                assert!(text.contains(&format!("<{arg}>")), "{lang}: {id} does not show ${arg}: {text}");
            }
            // Real values, which take the selects' named variants.
            let mut real = FluentArgs::new();
            for arg in spec.args {
                let value = match *arg {
                    "action" => FluentValue::from("rename"),
                    "what" => FluentValue::from("site"),
                    _ => FluentValue::from(3),
                };
                real.set(*arg, value);
            }
            let text = render(lang, &bundle, &id, &real);
            assert!(!text.contains('<') && !text.trim().is_empty(), "{lang}: {id}: {text}");
        }
    }
}

#[test]
fn every_entry_of_the_locales_is_a_declared_message_or_a_helper() {
    for (lang, source) in LOCALES {
        // An entry starts at column 0 with `id =`; comments start with `#`, continuations with a space.
        let ids = source.lines().filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()));
        for id in ids.filter_map(|line| line.split_once('=')).map(|(id, _)| id.trim()) {
            let helper = id.strip_prefix("certs-").is_some_and(|rest| rest.contains('-'));
            let declared = ALL.iter().any(|spec| fluent_id(spec.code) == id);
            assert!(helper || declared, "{lang}: {id} is not a declared message");
        }
    }
}
