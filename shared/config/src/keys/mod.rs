//! The single table of every configuration key.
//!
//! The README's configuration reference is written from [`KEYS`], and a test
//! checks that the loader accepts exactly these keys, so documentation and
//! behaviour cannot drift apart silently.

/// Documentation for one configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDoc {
    /// The key as written in the TOML file, dotted for nested keys.
    pub key: &'static str,
    /// The environment variable that overrides the key.
    pub env: &'static str,
    /// The default, as text for humans, including how it varies by profile.
    pub default: &'static str,
    /// What the key controls and why an operator would change it.
    pub meaning: &'static str,
}

mod table;

pub use table::KEYS;

/// The keys whose values are credentials; each also accepts `LAWHA_<KEY>_FILE`.
pub(crate) const SECRET_KEYS: &[&str] = &["database_url", "redis_url", "secret_key", "previous_secret_keys"];

/// Environment variables that start with `LAWHA_` but are not configuration
/// keys, so the unknown-variable check must skip them.
pub(crate) const NOT_KEYS: &[&str] = &["LAWHA_ENV", "LAWHA_CONFIG"];

/// The prefix of variables reserved for test suites, which are never keys.
pub(crate) const TEST_PREFIX: &str = "LAWHA_TEST_";

/// Looks up a key's documentation entry.
pub(crate) fn doc(key: &str) -> Option<&'static KeyDoc> {
    KEYS.iter().find(|d| d.key == key)
}

/// The environment variable for a key: `LAWHA_` plus the key in upper case,
/// with the section separator `.` written as `__`.
pub(crate) fn env_name(key: &str) -> String {
    format!("LAWHA_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// The key an environment variable names, if it names one, and whether it is
/// the `_FILE` variant of a secret key.
pub(crate) fn key_for_env(var: &str) -> Option<(&'static str, bool)> {
    if let Some(doc) = KEYS.iter().find(|d| d.env == var) {
        return Some((doc.key, false));
    }
    let base = var.strip_suffix("_FILE")?;
    let doc = KEYS.iter().find(|d| d.env == base)?;
    SECRET_KEYS.contains(&doc.key).then_some((doc.key, true))
}

/// Every environment variable name the loader understands, for suggestions.
pub(crate) fn all_env_names() -> Vec<String> {
    let mut names: Vec<String> = KEYS.iter().map(|d| d.env.to_owned()).collect();
    names.extend(SECRET_KEYS.iter().map(|k| format!("{}_FILE", env_name(k))));
    names.extend(NOT_KEYS.iter().map(|n| (*n).to_owned()));
    names
}

/// The section names used for nested keys (`http`, `log`, ...).
pub(crate) fn sections() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for doc in KEYS {
        if let Some((section, _)) = doc.key.split_once('.')
            && !out.contains(&section)
        {
            out.push(section);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_env_name_follows_the_mapping_rule() {
        for doc in KEYS {
            assert_eq!(doc.env, env_name(doc.key), "{}", doc.key);
            assert!(!doc.meaning.is_empty() && !doc.default.is_empty());
        }
    }

    #[test]
    fn env_names_map_back_to_keys() {
        assert_eq!(key_for_env("LAWHA_LISTEN"), Some(("listen", false)));
        assert_eq!(key_for_env("LAWHA_HTTP__BODY_LIMIT_BYTES"), Some(("http.body_limit_bytes", false)));
        assert_eq!(key_for_env("LAWHA_SECRET_KEY_FILE"), Some(("secret_key", true)));
        assert_eq!(key_for_env("LAWHA_LISTEN_FILE"), None);
        assert_eq!(key_for_env("LAWHA_NOPE"), None);
    }

    #[test]
    fn sections_are_listed_once_each() {
        assert_eq!(
            sections(),
            [
                "http",
                "log",
                "database",
                "projections",
                "ui",
                "session",
                "jobs",
                "backups",
                "deployments",
                "certificates",
                "audit"
            ]
        );
    }
}
