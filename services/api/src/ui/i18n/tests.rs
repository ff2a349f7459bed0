#[test]
fn summaries_are_translated_when_a_message_exists() {
    assert_eq!(
        summary(Lang::Ar, "SignedIn", "Signed in (user=amira)"),
        format!("{} (user=amira)", t(Lang::Ar, "event-SignedIn"))
    );
    assert_eq!(summary(Lang::Ar, "NoteMade", "Note made (x=1)"), "Note made (x=1)");
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
    for (lang, sources) in [(Lang::En, EN_FTL), (Lang::Ar, AR_FTL)] {
        for (file, source) in sources {
            assert!(FluentResource::try_new((*source).to_owned()).is_ok(), "{lang:?} {file} does not parse");
        }
    }
    let ids = |sources: &[(&str, &'static str)]| -> BTreeSet<&'static str> {
        sources.iter().flat_map(|(_, source)| message_ids(source)).collect()
    };
    let en = ids(EN_FTL);
    let ar = ids(AR_FTL);
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
    let locked =
        |lang, minutes: i64| without_isolation(&t_args(lang, "sign-in-error-locked", &[("minutes", minutes.into())]));
    assert_eq!(locked(Lang::En, 1), "This account is locked. Try again in one minute.");
    assert_eq!(locked(Lang::En, 15), "This account is locked. Try again in 15 minutes.");
    assert!(locked(Lang::Ar, 1).ends_with("بعد دقيقة واحدة."), "{}", locked(Lang::Ar, 1));
    assert!(locked(Lang::Ar, 2).ends_with("بعد دقيقتين."), "{}", locked(Lang::Ar, 2));
    assert!(locked(Lang::Ar, 5).ends_with("بعد ٥ دقائق."), "{}", locked(Lang::Ar, 5));
    assert!(locked(Lang::Ar, 15).ends_with("بعد ١٥ دقيقة."), "{}", locked(Lang::Ar, 15));
}

/// The text of message `id` in a resource: its first line after `=` and the continuation lines (indented).
fn message_text(sources: &[(&str, &str)], id: &str) -> Option<String> {
    for (_, source) in sources {
        let mut lines = source.lines();
        while let Some(line) = lines.next() {
            let Some((name, first)) = line.split_once('=') else { continue };
            if name.trim_end() != id || line.starts_with(char::is_whitespace) {
                continue;
            }
            let mut text = first.to_owned();
            for more in lines.by_ref() {
                if !more.starts_with(char::is_whitespace) || more.trim().is_empty() {
                    break;
                }
                text.push('\n');
                text.push_str(more);
            }
            return Some(text);
        }
    }
    None
}

/// The `$variables` a message's text uses.
fn variables(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let name: String =
            rest[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        if !name.is_empty() {
            found.insert(name);
        }
        rest = &rest[at + 1..];
    }
    found
}

/// The `$variables` a message's text uses, with those of the messages it references (`{ engine-io-action }`: a
/// referenced message sees the caller's variables, which is how one select is shared by several messages).
fn used_variables(sources: &[(&str, &str)], text: &str) -> BTreeSet<String> {
    let mut found = variables(text);
    for reference in text.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(inside, _)| inside.trim()) {
        let is_message = reference.starts_with(|c: char| c.is_ascii_alphabetic())
            && reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if is_message && let Some(referenced) = message_text(sources, reference) {
            found.extend(variables(&referenced));
        }
    }
    found
}

/// The rule: no layer builds a sentence for a person. Every message a layer can emit is defined in every
/// language with exactly the arguments it is given, and no code is declared twice.
#[test]
fn every_message_each_layer_can_emit_is_defined_in_both_languages_with_its_arguments() {
    let mut seen = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (layer, specs) in catalogs::CATALOGS {
        assert!(!specs.is_empty(), "{layer} declares no messages");
        for spec in *specs {
            if let Some(other) = seen.insert(spec.code, *layer) {
                problems.push(format!("{} is declared by {layer} and by {other}", spec.code));
            }
            let id = spec.code.replace('.', "-");
            let expected: BTreeSet<String> = spec.args.iter().map(|a| (*a).to_owned()).collect();
            for (lang, sources) in [(Lang::En, EN_FTL), (Lang::Ar, AR_FTL)] {
                match message_text(sources, &id) {
                    None => problems.push(format!("{layer}: {lang:?} has no message {id}")),
                    Some(text) if used_variables(sources, &text) != expected => problems.push(format!(
                        "{layer}: {lang:?} {id} uses {:?}, the code has {expected:?}",
                        used_variables(sources, &text)
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn messages_render_in_each_language_with_nested_messages_and_lists() {
    use lawha_domain::backups::{messages, plan_invalid};
    let invalid =
        plan_invalid(&[("name", messages::name_invalid()), ("compression_level", messages::compression_level_range())]);
    let en = without_isolation(&render(Lang::En, &invalid));
    assert!(en.starts_with("the backup plan is invalid: name must be"), "{en}");
    assert!(en.contains("; compression_level must be from 1"), "{en}");
    let ar = without_isolation(&render(Lang::Ar, &invalid));
    assert!(ar.contains("؛ ") && !ar.contains("must be"), "{ar}");
    assert_eq!(render(Lang::Ar, &lawha_domain::Message::text("pg_dump: boom")), "pg_dump: boom");
    let unknown = lawha_domain::Message::new("future.thing").with("n", 3u8);
    assert_eq!(render(Lang::En, &unknown), "future.thing(n=3)", "an unknown code is shown, not lost");
}
