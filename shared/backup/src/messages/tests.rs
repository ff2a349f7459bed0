//! The message table is sound, and both locales render every message with exactly its arguments and every
//! action key and URL part with words of their own. The FTL files are read with a plain text scan, enough for
//! the subset they use: an entry starts at column 0 with `id =` and continues on lines starting with a space.
//!
//! Two entries are not codes: `engine-io-action` and `engine-url-part` put a key into words, and the messages
//! that take `$action` or `$part` reference them (`{ engine-io-action }`). A message reference sees the
//! variables of the message that references it, so those variables count as the referencing message's own.

use std::collections::{BTreeMap, BTreeSet};

use super::{ALL, actions::ALL_ACTIONS};
use crate::sources::process::url::Part;

/// The English messages.
const EN: &str = include_str!("../../../../services/api/locales/en/engine.ftl");
/// The Arabic messages.
const AR: &str = include_str!("../../../../services/api/locales/ar/engine.ftl");

/// Both locales, by name.
const LOCALES: [(&str, &str); 2] = [("en", EN), ("ar", AR)];

/// Every entry of an FTL file, by id, with the text of its value.
fn entries(lang: &str, ftl: &str) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut finish = |current: &mut Option<(String, String)>| {
        if let Some((id, text)) = current.take() {
            assert!(entries.insert(id.clone(), text).is_none(), "{lang}: {id} is defined twice");
        }
    };
    for (number, line) in ftl.lines().enumerate() {
        if line.starts_with(' ') {
            let Some((_, text)) = &mut current else {
                panic!("{lang}:{}: an indented line outside an entry", number + 1)
            };
            text.push('\n');
            text.push_str(line);
            continue;
        }
        finish(&mut current);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, value)) = line.split_once('=') else { panic!("{lang}:{}: not `id = value`: {line}", number + 1) };
        current = Some((id.trim().to_owned(), value.to_owned()));
    }
    finish(&mut current);
    entries
}

/// Whether `id` is one of the entries that put a key into words (`engine-io-action`), not a code's message.
fn is_helper(id: &str) -> bool {
    id.strip_prefix("engine-").is_some_and(|rest| rest.contains('-'))
}

/// The characters of an identifier (a variable, a message id).
fn identifier(text: &str) -> String {
    text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

/// The `$variables` an entry names, with those of the messages it references (`{ engine-io-action }`).
fn variables(entries: &BTreeMap<String, String>, id: &str) -> BTreeSet<String> {
    let text = entries.get(id).unwrap_or_else(|| panic!("{id} is referenced but not defined"));
    let mut found: BTreeSet<String> = text.split('$').skip(1).map(identifier).collect();
    for placeable in text.split('{').skip(1) {
        let inner = placeable.trim_start();
        let reference = identifier(inner);
        let closed = inner[reference.len()..].trim_start().starts_with('}');
        if closed && reference.starts_with(|c: char| c.is_ascii_alphabetic()) {
            found.extend(variables(entries, &reference));
        }
    }
    found
}

/// The keys of a select expression's variants (`[reading]`, `*[other]`).
fn variant_keys(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.trim_start().trim_start_matches('*').strip_prefix('['))
        .filter_map(|rest| rest.split_once(']').map(|(key, _)| key.to_owned()))
        .collect()
}

#[test]
fn the_table_has_every_code_once_and_all_under_engine() {
    let mut codes = BTreeSet::new();
    for spec in ALL {
        assert!(codes.insert(spec.code), "{} is declared twice", spec.code);
        let name = spec.code.strip_prefix("engine.").unwrap_or_else(|| panic!("{} is not an engine code", spec.code));
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{}",
            spec.code
        );
        let args: BTreeSet<_> = spec.args.iter().collect();
        assert_eq!(args.len(), spec.args.len(), "{} names an argument twice", spec.code);
    }
}

#[test]
fn both_locales_define_every_message_with_exactly_its_arguments() {
    for (lang, ftl) in LOCALES {
        let entries = entries(lang, ftl);
        let mut expected_ids = BTreeSet::new();
        for spec in ALL {
            let id = spec.code.replace('.', "-");
            assert!(entries.contains_key(&id), "{lang}: {id} is missing");
            let args: BTreeSet<String> = spec.args.iter().map(|a| (*a).to_owned()).collect();
            assert_eq!(variables(&entries, &id), args, "{lang}: {id} must use exactly the arguments of {}", spec.code);
            expected_ids.insert(id);
        }
        let stale: Vec<_> = entries.keys().filter(|id| !is_helper(id) && !expected_ids.contains(*id)).collect();
        assert!(stale.is_empty(), "{lang}: messages the engine never emits: {stale:?}");
    }
}

#[test]
fn both_locales_name_every_io_action_and_url_part() {
    let actions: BTreeSet<String> = ALL_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    let parts: BTreeSet<String> = Part::ALL.iter().map(|p| p.key().to_owned()).collect();
    for (lang, ftl) in LOCALES {
        let entries = entries(lang, ftl);
        for (helper, keys) in [("engine-io-action", &actions), ("engine-url-part", &parts)] {
            let text = entries.get(helper).unwrap_or_else(|| panic!("{lang}: {helper} is missing"));
            let mut found = variant_keys(text);
            assert!(found.remove("other"), "{lang}: {helper} needs the default variant *[other]");
            assert_eq!(&found, keys, "{lang}: {helper} must have one variant per key");
        }
    }
}

#[test]
fn the_scan_reads_references_variables_and_variants() {
    let ftl = "# c\nengine-w-x = { $a ->\n        [x] X\n       *[other] { $a }\n    }\nm-1 = { engine-w-x } { $c }\n";
    let entries = entries("test", ftl);
    assert!(is_helper("engine-w-x") && !is_helper("engine-io_failed"));
    assert_eq!(variant_keys(&entries["engine-w-x"]), BTreeSet::from(["x".to_owned(), "other".to_owned()]));
    assert_eq!(variables(&entries, "m-1"), BTreeSet::from(["a".to_owned(), "c".to_owned()]));
}
