//! Which kind of machine Lawha is running on, and how that is decided.
//!
//! The profile changes defaults (data directory, log format) and strictness
//! (production refuses SQLite and insists on a secret key), so it is decided
//! first and from as few, as explicit, signals as possible.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// The kind of deployment the process is running as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// A developer's machine: SQLite in `./data`, readable logs, a generated key.
    Development,
    /// A real server: PostgreSQL, Redis and an operator-provided key are required.
    Production,
    /// An automated test suite: like development, but never chosen by accident.
    Test,
}

impl Profile {
    /// The canonical lower-case name, as accepted by `LAWHA_ENV`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
            Self::Test => "test",
        }
    }

    /// True for [`Profile::Production`]; exists so callers need not match.
    pub fn is_production(self) -> bool {
        self == Self::Production
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a profile name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a profile; expected development, production or test")]
pub struct ParseProfileError(
    /// The rejected text, kept so the message can quote it.
    pub String,
);

impl FromStr for Profile {
    type Err = ParseProfileError;

    /// Accepts the canonical names and the short forms `dev` and `prod`,
    /// ignoring case and surrounding whitespace, because these are typed by
    /// hand into unit files and compose files.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            "test" => Ok(Self::Test),
            _ => Err(ParseProfileError(s.to_owned())),
        }
    }
}

/// The facts about the process that decide its profile.
///
/// They are gathered into a plain struct, rather than read inside
/// [`detect_profile`], so that the decision can be tested without touching the
/// real environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvHints {
    /// The value of `LAWHA_ENV`, the operator's explicit choice.
    pub lawha_env: Option<String>,
    /// Whether `CARGO_MANIFEST_DIR` is set, which `cargo run` does.
    pub under_cargo: bool,
    /// Whether a container runtime marker (`/.dockerenv`, `/run/.containerenv`
    /// or the `container` variable) is present.
    pub in_container: bool,
    /// Whether systemd started the process (`INVOCATION_ID` or `JOURNAL_STREAM`).
    pub under_systemd: bool,
}

impl EnvHints {
    /// Gathers the hints from the real process environment and filesystem.
    pub fn from_process() -> Self {
        Self::from_env(&crate::process_env())
    }

    /// Gathers the hints from an environment snapshot; only the container
    /// marker files are looked up on the real filesystem.
    pub fn from_env(env: &[(String, String)]) -> Self {
        let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let container_file = Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists();
        Self {
            lawha_env: get("LAWHA_ENV").cloned(),
            under_cargo: get("CARGO_MANIFEST_DIR").is_some(),
            in_container: container_file || get("container").is_some(),
            under_systemd: get("INVOCATION_ID").is_some() || get("JOURNAL_STREAM").is_some(),
        }
    }
}

/// Decides the profile and returns it with a human-readable reason.
///
/// The order is: `LAWHA_ENV` wins; otherwise `cargo run` means development,
/// even inside a container, because developers build inside dev containers;
/// otherwise a container or systemd means production; otherwise development.
/// An empty `LAWHA_ENV` counts as unset. An unrecognised one is a problem rather than a silent fallback,
/// because guessing wrong would run a server with development defaults.
pub fn detect_profile(h: &EnvHints) -> Result<(Profile, &'static str), Problem> {
    // An empty LAWHA_ENV counts as unset, like every other empty variable,
    // because compose files pass variables through as `LAWHA_ENV=${X:-}`.
    if let Some(value) = h.lawha_env.as_ref().filter(|v| !v.trim().is_empty()) {
        return value.parse().map(|profile| (profile, "LAWHA_ENV is set")).map_err(|err: ParseProfileError| Problem {
            key: "env".into(),
            env: "LAWHA_ENV".into(),
            message: err.to_string(),
            fix: "set LAWHA_ENV to development, production or test, or unset it".into(),
        });
    }
    Ok(if h.under_cargo {
        (Profile::Development, "cargo run: a developer's machine")
    } else if h.in_container {
        (Profile::Production, "running in a container")
    } else if h.under_systemd {
        (Profile::Production, "running under systemd")
    } else {
        (Profile::Development, "no deployment hints: assuming a developer's machine")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(lawha_env: Option<&str>, cargo: bool, container: bool, systemd: bool) -> EnvHints {
        EnvHints {
            lawha_env: lawha_env.map(str::to_owned),
            under_cargo: cargo,
            in_container: container,
            under_systemd: systemd,
        }
    }

    fn profile(h: &EnvHints) -> Profile {
        detect_profile(h).expect("valid hints").0
    }

    #[test]
    fn profile_names_round_trip_and_short_forms_are_accepted() {
        for p in [Profile::Development, Profile::Production, Profile::Test] {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
        }
        assert_eq!("dev".parse(), Ok(Profile::Development));
        assert_eq!(" PROD ".parse(), Ok(Profile::Production));
        assert!("staging".parse::<Profile>().is_err());
    }

    #[test]
    fn detection_truth_table() {
        use Profile::{Development as D, Production as P};
        // (cargo, container, systemd) -> profile, with LAWHA_ENV unset.
        let table = [
            ((false, false, false), D),
            ((true, false, false), D),
            ((false, true, false), P),
            ((false, false, true), P),
            ((false, true, true), P),
            ((true, true, false), D),
            ((true, false, true), D),
            ((true, true, true), D),
        ];
        for ((cargo, container, systemd), expected) in table {
            let h = hints(None, cargo, container, systemd);
            assert_eq!(profile(&h), expected, "{h:?}");
        }
    }

    #[test]
    fn cargo_run_beats_container_hints() {
        let (p, reason) = detect_profile(&hints(None, true, true, false)).unwrap();
        assert_eq!(p, Profile::Development);
        assert_eq!(reason, "cargo run: a developer's machine");
    }

    #[test]
    fn lawha_env_beats_every_other_hint() {
        assert_eq!(profile(&hints(Some("prod"), true, false, false)), Profile::Production);
        assert_eq!(profile(&hints(Some("dev"), false, true, true)), Profile::Development);
        assert_eq!(profile(&hints(Some("test"), true, true, true)), Profile::Test);
        assert_eq!(profile(&hints(Some(""), false, true, false)), Profile::Production);
    }

    #[test]
    fn invalid_lawha_env_is_a_problem_on_the_env_key() {
        let problem = detect_profile(&hints(Some("staging"), true, false, false)).unwrap_err();
        assert_eq!(problem.key, "env");
        assert_eq!(problem.env, "LAWHA_ENV");
        assert!(problem.message.contains("staging"));
    }
}
