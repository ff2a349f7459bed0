//! Values that must never reach a log line, an error message or a terminal.
//!
//! A secret is wrapped in [`Secret`] the moment it is read, so that every later
//! `{:?}` or `{}` of the configuration prints a placeholder instead of the value.
//! URLs are not wholly secret (the host and database name help an operator), so
//! [`redact_url`] removes only the password parts.

use std::fmt;

/// The text printed in place of every secret value.
pub const REDACTED: &str = "[redacted]";

/// A value that is only reachable through [`Secret::expose`].
///
/// It exists so that deriving `Debug` on a struct holding passwords or keys is
/// safe: `Debug` and `Display` print `[redacted]`. It deliberately does not
/// implement `Serialize`, so a secret cannot leak into a JSON response or a
/// dumped configuration by accident.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value so that it is redacted whenever it is formatted.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Returns the wrapped value. Call this only at the point of use (opening a
    /// connection, computing a MAC), never to format or log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Returns `url` with its password replaced by `[redacted]`.
///
/// It exists so that database and Redis URLs can be shown to operators (in
/// `lawha config check` and in startup logs) without showing credentials. The
/// password in the userinfo part (`user:password@host`) is replaced, as is the
/// value of every query parameter whose name ends in `password`. A URL without
/// credentials is returned unchanged. When the URL is malformed the function
/// errs towards hiding too much rather than too little.
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };

    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out.push_str(fragment);
    out
}

/// Replaces the password in `scheme://user:password@host/...`.
///
/// The last `@` is used as the end of the userinfo because an unencoded `@`
/// inside a password is a common mistake, and splitting at the first one would
/// print the rest of the password as if it were the host.
fn redact_userinfo(base: &str) -> String {
    let Some(scheme_end) = base.find("://") else {
        return base.to_owned();
    };
    let (scheme, rest) = base.split_at(scheme_end + 3);
    let Some(at) = rest.rfind('@') else {
        return base.to_owned();
    };
    let (userinfo, host_and_path) = rest.split_at(at);
    match userinfo.find(':') {
        Some(colon) => format!("{scheme}{}:{REDACTED}{host_and_path}", &userinfo[..colon]),
        // A userinfo without a colon is a user name only, which is not secret.
        None => base.to_owned(),
    }
}

/// Replaces the values of `password`-like query parameters.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().ends_with("password") => {
                format!("{name}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new(String::from("hunter2"));
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn redact_url_replaces_the_userinfo_password() {
        assert_eq!(redact_url("postgres://lawha:pw@db:5432/x"), "postgres://lawha:[redacted]@db:5432/x");
        assert_eq!(redact_url("redis://:hunter2@cache:6379/0"), "redis://:[redacted]@cache:6379/0");
    }

    #[test]
    fn redact_url_hides_a_password_containing_an_unencoded_at_sign() {
        let shown = redact_url("postgres://u:hun@ter2@db/x");
        assert_eq!(shown, "postgres://u:[redacted]@db/x");
        assert!(!shown.contains("ter2"));
    }

    #[test]
    fn redact_url_replaces_password_query_parameters() {
        assert_eq!(
            redact_url("postgres://db/x?user=lawha&password=hunter2&sslmode=require"),
            "postgres://db/x?user=lawha&password=[redacted]&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://u:a@db/x?sslpassword=b#frag"),
            "postgres://u:[redacted]@db/x?sslpassword=[redacted]#frag"
        );
    }

    #[test]
    fn redact_url_leaves_urls_without_credentials_unchanged() {
        for url in [
            "sqlite://./data/lawha.db",
            "sqlite::memory:",
            "postgres://db:5432/x",
            "postgres://lawha@db/x",
            "redis://cache:6379",
            "not a url",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
