//! The process's own settings: the listen address, the database and Redis URLs, the secret key and logging.

use std::net::{Ipv4Addr, SocketAddr};

use super::Builder;
use crate::layers::Origin;
use crate::sections::{LogConfig, LogFormat};

/// The fix offered for every missing or short secret key.
const KEY_FIX: &str = "set LAWHA_SECRET_KEY or LAWHA_SECRET_KEY_FILE to the output of `openssl rand -hex 32`";

impl Builder {
    pub(super) fn listen(&mut self) -> SocketAddr {
        let default = SocketAddr::from((Ipv4Addr::LOCALHOST, 8080));
        let Some(text) = self.text("listen") else {
            return default;
        };
        text.trim().parse().unwrap_or_else(|_| {
            self.report(
                "listen",
                format!("`{text}` is not an address; expected host:port such as 127.0.0.1:8080"),
                "use an IP address and a port, such as 127.0.0.1:8080 or [::]:8080",
            );
            default
        })
    }

    /// A URL whose scheme must be one of `schemes`. Only the scheme is ever
    /// quoted in a problem, because the rest may hold a password.
    pub(super) fn url(&mut self, key: &'static str, schemes: &[&str], expected: &str) -> Option<String> {
        let url = self.text(key)?;
        match scheme(&url) {
            Some(s) if schemes.contains(&s.to_ascii_lowercase().as_str()) => Some(url),
            found => {
                let message = match found {
                    Some(s) => format!("scheme `{s}` is not supported; expected {expected}"),
                    None => format!("is not a URL; expected {expected}"),
                };
                self.report(key, message, format!("use a {expected} URL"));
                None
            }
        }
    }

    pub(super) fn database_url(&mut self, data_dir: &std::path::Path) -> String {
        let expected = "postgres://, postgresql:// or sqlite://";
        let url = self.url("database_url", &["postgres", "postgresql", "sqlite"], expected);
        let production = self.profile.is_production();
        match url {
            Some(url) if production && scheme(&url).is_some_and(|s| s.eq_ignore_ascii_case("sqlite")) => {
                self.report(
                    "database_url",
                    "is a sqlite:// URL, but production needs PostgreSQL",
                    "set LAWHA_DATABASE_URL to a postgres:// URL",
                );
                url
            }
            Some(url) => url,
            None if production && self.origins["database_url"] == Origin::Default => {
                self.report(
                    "database_url",
                    "is not set, and production needs PostgreSQL",
                    "set LAWHA_DATABASE_URL (or LAWHA_DATABASE_URL_FILE) to a postgres:// URL",
                );
                String::new()
            }
            None => format!("sqlite://{}/lawha.db", data_dir.display()),
        }
    }

    pub(super) fn secret_key(&mut self) -> Option<Vec<u8>> {
        let Some(key) = self.text("secret_key") else {
            if self.profile.is_production() && self.origins["secret_key"] == Origin::Default {
                self.report("secret_key", "production requires a secret key", KEY_FIX);
            }
            return None;
        };
        let bytes = key.into_bytes();
        if bytes.len() < 32 {
            let message = format!("is {} bytes long; at least 32 are required", bytes.len());
            self.report("secret_key", message, KEY_FIX);
        }
        Some(bytes)
    }

    pub(super) fn log(&mut self) -> LogConfig {
        let mut log = LogConfig::default();
        match self.text("log.level") {
            Some(level) if level.trim().is_empty() => {
                self.report("log.level", "is empty", "use a filter directive such as info or info,lawha_store=debug")
            }
            Some(level) => log.level = level,
            None => {}
        }
        if let Some(format) = self.text("log.format") {
            match format.parse::<LogFormat>() {
                Ok(format) => log.format = format,
                Err(err) => self.report("log.format", err.to_string(), "use auto, json or pretty"),
            }
        }
        log
    }
}

/// The scheme of a URL, if the text before the first `:` looks like one.
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(scheme)
}
