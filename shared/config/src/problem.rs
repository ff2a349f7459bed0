//! What is wrong with a configuration, phrased for the operator who must fix it.
//!
//! Loading never stops at the first mistake: every problem is collected so
//! that an operator fixes a unit file once, not once per restart.

use std::fmt;

/// One thing wrong with the configuration.
///
/// Messages name the key and describe the value's shape, never the value of a
/// secret, because problems are printed to terminals and journals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The configuration key, dotted for nested keys (`http.body_limit_bytes`),
    /// so the operator can find it in the TOML file.
    pub key: String,
    /// The environment variable that sets (or did set) the key
    /// (`LAWHA_HTTP__BODY_LIMIT_BYTES`), so the operator can find it in a unit
    /// or compose file.
    pub env: String,
    /// What is wrong, without a trailing full stop.
    pub message: String,
    /// How to fix it, without a trailing full stop.
    pub fix: String,
}

impl Problem {
    /// Builds a problem; exists to keep the many call sites short.
    pub fn new(
        key: impl Into<String>,
        env: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self { key: key.into(), env: env.into(), message: message.into(), fix: fix.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}. Fix: {}", self.key, self.env, self.message, self.fix)
    }
}

/// Every problem found while loading, returned together as one error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(
    /// The problems in the order they were found: profile, file, then keys.
    pub Vec<Problem>,
);

impl Problems {
    /// Returns whether a problem was reported for `key`; exists for tests and
    /// for callers that want to react to one specific mistake.
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|p| p.key == key)
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no problems (a loaded configuration never returns
    /// an empty `Problems`, but the method keeps clippy's `len` rule happy).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration has {} problem(s):", self.0.len())?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The edit distance between two strings, used to suggest the key an operator
/// probably meant when they mistyped one.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The closest candidate within edit distance 3, if any.
pub(crate) fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(wrong, c), c))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_display_lists_every_problem_with_its_fix() {
        let problems = Problems(vec![
            Problem::new("secret_key", "LAWHA_SECRET_KEY", "missing", "set it"),
            Problem::new("listen", "LAWHA_LISTEN", "bad", "use host:port"),
        ]);
        assert_eq!(
            problems.to_string(),
            "configuration has 2 problem(s):\n  \
             - secret_key (LAWHA_SECRET_KEY): missing. Fix: set it\n  \
             - listen (LAWHA_LISTEN): bad. Fix: use host:port"
        );
        assert!(problems.has("listen"));
        assert!(!problems.has("redis_url"));
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("listen", "listen"), 0);
        assert_eq!(edit_distance("lisen", "listen"), 1);
        assert_eq!(edit_distance("data_dri", "data_dir"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_suggests_only_near_misses() {
        let keys = ["listen", "data_dir", "redis_url"];
        assert_eq!(closest("listn", keys), Some("listen"));
        assert_eq!(closest("redis_rul", keys), Some("redis_url"));
        assert_eq!(closest("completely_different", keys), None);
    }
}
