//! The primitive readers every key goes through: taking a raw value, reporting a problem, and reading text,
//! whole numbers and lists with their type errors.

use std::fmt::Display;
use std::str::FromStr;

use super::Builder;
use crate::keys;
use crate::layers::{Origin, Raw, RawValue};
use crate::problem::Problem;

impl Builder {
    /// Removes a key's raw value and records where the key's value came from.
    fn take(&mut self, key: &'static str) -> Option<Raw> {
        let raw = self.values.remove(key);
        let origin = raw.as_ref().map_or(Origin::Default, |r| r.origin.clone());
        self.origins.insert(key, origin);
        raw
    }

    /// Records a problem, naming the variable that set the key if one did.
    pub(super) fn report(&mut self, key: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        let env = match self.origins.get(key) {
            Some(Origin::Env(name)) => name.clone(),
            _ => keys::env_name(key),
        };
        self.problems.push(Problem::new(key, env, message, fix));
    }

    /// A string value. Wrong types are reported without quoting the value,
    /// because the key may hold a secret.
    pub(super) fn text(&mut self, key: &'static str) -> Option<String> {
        match self.take(key)?.value {
            RawValue::Text(text) => Some(text),
            RawValue::Integer(_) => {
                self.report(key, "expected a string, found an integer", "quote the value");
                None
            }
            RawValue::List(_) => {
                self.report(key, "expected a string, found an array", "write the value as one quoted string");
                None
            }
            RawValue::Other(kind) => {
                let message = format!("expected a string, found {}", article(kind));
                self.report(key, message, "write the value as a quoted string");
                None
            }
        }
    }

    /// A whole number within `min..=max` (`max` of `None` means unbounded);
    /// the default is returned when the key is unset or invalid.
    pub(super) fn number<T>(&mut self, key: &'static str, default: T, min: T, max: Option<T>) -> T
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let range = match max {
            Some(max) => format!("use a whole number from {min} to {max}"),
            None => format!("use a whole number of at least {min}"),
        };
        let text = match self.take(key).map(|r| r.value) {
            None => return default,
            Some(RawValue::Text(text)) => text.trim().to_owned(),
            Some(RawValue::Integer(i)) => i.to_string(),
            Some(RawValue::Other(kind)) => {
                self.report(key, format!("expected a number, found {}", article(kind)), range);
                return default;
            }
            Some(RawValue::List(_)) => {
                self.report(key, "expected a number, found an array", range);
                return default;
            }
        };
        match text.parse::<T>() {
            Ok(n) if n < min || max.is_some_and(|max| n > max) => {
                self.report(key, format!("{n} is out of range"), range);
                default
            }
            Ok(n) => n,
            Err(_) => {
                self.report(key, format!("`{text}` is not a valid number"), range);
                default
            }
        }
    }

    /// A list: a TOML array of strings, or one comma-separated string (the environment's form); None when unset
    /// or of the wrong type (reported with `fix`).
    pub(super) fn list(&mut self, key: &'static str, what: &str, fix: &str) -> Option<Vec<String>> {
        match self.take(key).map(|r| r.value) {
            None => None,
            Some(RawValue::List(items)) => Some(items),
            Some(RawValue::Text(text)) if text.trim().is_empty() => Some(Vec::new()),
            // A trailing comma is forgiven: compose files build such lists by concatenation.
            Some(RawValue::Text(text)) => {
                let mut items: Vec<String> = text.split(',').map(str::to_owned).collect();
                if items.len() > 1 && items.last().is_some_and(|last| last.trim().is_empty()) {
                    items.pop();
                }
                Some(items)
            }
            Some(RawValue::Integer(_)) => {
                self.report(key, format!("expected a list of {what}, found an integer"), fix);
                None
            }
            Some(RawValue::Other(kind)) => {
                let message = format!("expected a list of {what}, found {}", article(kind));
                self.report(key, message, fix);
                None
            }
        }
    }
}

/// A TOML type name with its indefinite article, for readable messages.
fn article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}
