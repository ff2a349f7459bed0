//! Connection URLs of the database sources and restores: `postgres://user:pass@host:port/db?sslmode=require`,
//! `mysql://user:pass@host:port/db` (also `mariadb://`), parsed into the pieces the command-line tools take.
//!
//! Architecture Invariant: the password leaves this module only through [`Password::expose`], which the process
//! runner puts into the child's environment (`PGPASSWORD`, `MYSQL_PWD`). What is shown anywhere (manifests,
//! events, logs, error messages) is [`DatabaseUrl::redacted`]. Validation messages quote only what follows the
//! last `@` of the URL, so even a URL too broken to parse never has its password echoed.

use std::{fmt, path::PathBuf};

use lawha_domain::Message;

use crate::{BackupError, messages};

/// Which server a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    Mysql,
}

impl DatabaseKind {
    /// The server's default TCP port.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Postgres => 5432,
            Self::Mysql => 3306,
        }
    }

    /// The query parameters a URL of this kind may carry.
    fn parameters(self) -> &'static [&'static str] {
        match self {
            Self::Postgres => &["sslmode", "host", "connect_timeout", "application_name"],
            Self::Mysql => &["socket"],
        }
    }
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A host name or IP address and a port.
    Tcp {
        /// The host, without IPv6 brackets.
        host: String,
        /// The port (the kind's default when the URL has none).
        port: u16,
    },
    /// A unix socket: PostgreSQL's socket directory, MariaDB's socket file.
    Socket(PathBuf),
}

/// A password that prints as `***` in `Debug` and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password itself, for the child's environment only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A parsed connection URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The server kind, from the scheme.
    pub kind: DatabaseKind,
    /// The user name, when the URL has one (the tools default to the system user otherwise).
    pub user: Option<String>,
    /// The password, when the URL has one.
    pub password: Option<Password>,
    /// Where the server listens.
    pub endpoint: Endpoint,
    /// The database name; empty when the URL names none (a server-level URL).
    pub database: String,
    /// The query parameters, validated against the kind's list, percent-decoded.
    pub parameters: Vec<(String, String)>,
    /// `scheme://user:***@` (or `scheme://user@`, `scheme://`) as the URL wrote it.
    shown_prefix: String,
    /// The host and port as the URL wrote them.
    shown_authority: String,
    /// The query as the URL wrote it, without `?`.
    shown_query: Option<String>,
}

impl DatabaseUrl {
    /// Parses `url`; every failure is [`BackupError::Invalid`] saying what is wrong and what a valid URL looks like.
    pub fn parse(url: &str) -> Result<Self, BackupError> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid(messages::url_not_a_url()))?;
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => DatabaseKind::Postgres,
            "mysql" | "mariadb" => DatabaseKind::Mysql,
            _ => return Err(invalid_scheme(scheme)),
        };
        // The user information ends at the last `@`: a password may hold `@`, `/` or `?` unencoded, and
        // nothing before that `@` is ever quoted in a message.
        let (userinfo, location) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(info) => parse_userinfo(info)?,
            None => (None, None),
        };
        let (before_query, query) = location.split_once('?').map_or((location, None), |(b, q)| (b, Some(q)));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let database = decode(path, Part::Database)?;
        if database.contains('/') {
            return Err(invalid(messages::url_database_slash(&database)));
        }
        let parameters = parse_query(kind, query.unwrap_or(""))?;
        let endpoint = parse_endpoint(kind, authority, &parameters)?;
        let shown_prefix = match userinfo {
            Some(info) if password.is_some() => {
                format!("{scheme}://{}:***@", info.split_once(':').map_or(info, |(u, _)| u))
            }
            Some(info) => format!("{scheme}://{info}@"),
            None => format!("{scheme}://"),
        };
        Ok(Self {
            kind,
            user,
            password,
            endpoint,
            database,
            parameters,
            shown_prefix,
            shown_authority: authority.to_owned(),
            shown_query: query.map(str::to_owned),
        })
    }

    /// The URL with any password replaced by `***`: what manifests, events, logs and messages show.
    pub fn redacted(&self) -> String {
        let mut shown = format!("{}{}", self.shown_prefix, self.shown_authority);
        if !self.database.is_empty() {
            shown.push('/');
            shown.push_str(&self.database);
        }
        if let Some(query) = &self.shown_query {
            shown.push('?');
            shown.push_str(query);
        }
        shown
    }

    /// The value of query parameter `name`, when present.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The same server and credentials with another database (a restore's maintenance connection).
    pub fn with_database(&self, database: &str) -> Self {
        Self { database: database.to_owned(), ..self.clone() }
    }

    /// The database name, or a precise error when the URL names none.
    pub fn require_database(&self) -> Result<&str, BackupError> {
        if self.database.is_empty() {
            Err(invalid(messages::url_no_database(self.redacted())))
        } else {
            Ok(&self.database)
        }
    }
}

fn parse_userinfo(info: &str) -> Result<(Option<String>, Option<Password>), BackupError> {
    let (user, password) = info.split_once(':').map_or((info, None), |(u, p)| (u, Some(p)));
    let user = decode(user, Part::User)?;
    // A password that is not valid percent-encoding is taken as written: quoting it in an error would leak it.
    let password = password.map(|p| Password(decode(p, Part::Password).unwrap_or_else(|_| p.to_owned())));
    Ok(((!user.is_empty()).then_some(user), password))
}

fn parse_endpoint(
    kind: DatabaseKind,
    authority: &str,
    parameters: &[(String, String)],
) -> Result<Endpoint, BackupError> {
    let socket_parameter = match kind {
        DatabaseKind::Postgres => "host",
        DatabaseKind::Mysql => "socket",
    };
    if let Some((_, path)) = parameters.iter().find(|(key, _)| key == socket_parameter) {
        if !path.starts_with('/') {
            return Err(invalid(messages::url_socket_relative(socket_parameter, path)));
        }
        return Ok(Endpoint::Socket(PathBuf::from(path)));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) =
            bracketed.split_once(']').ok_or_else(|| invalid(messages::url_bracket_unclosed(authority)))?;
        (host.to_owned(), after.strip_prefix(':'))
    } else {
        let (host, port) = authority.rsplit_once(':').map_or((authority, None), |(h, p)| (h, Some(p)));
        (decode(host, Part::Host)?, port)
    };
    if host.starts_with('/') {
        return Ok(Endpoint::Socket(PathBuf::from(host)));
    }
    if host.is_empty() {
        return Err(invalid(messages::url_no_host()));
    }
    let port = match port {
        None | Some("") => kind.default_port(),
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(invalid(messages::url_bad_port(text))),
        },
    };
    Ok(Endpoint::Tcp { host, port })
}

fn parse_query(kind: DatabaseKind, query: &str) -> Result<Vec<(String, String)>, BackupError> {
    let mut parameters = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key, Part::ParameterName)?;
        if !kind.parameters().contains(&key.as_str()) {
            return Err(invalid(messages::url_unsupported_parameter(&key, kind.parameters().join(", "))));
        }
        parameters.push((key, decode(value, Part::ParameterValue)?));
    }
    Ok(parameters)
}

/// The pieces of a URL an error can name, each by a key the locales put into words (`engine-url-part`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The database name.
    Database,
    /// The user name.
    User,
    /// The password (never quoted, only named).
    Password,
    /// The host.
    Host,
    /// A query parameter's name.
    ParameterName,
    /// A query parameter's value.
    ParameterValue,
}

impl Part {
    /// Every piece, for the test that both locales name each.
    #[cfg(test)]
    pub(crate) const ALL: [Part; 6] =
        [Self::Database, Self::User, Self::Password, Self::Host, Self::ParameterName, Self::ParameterValue];

    /// The key the `part` argument carries.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::User => "user",
            Self::Password => "password",
            Self::Host => "host",
            Self::ParameterName => "parameter_name",
            Self::ParameterValue => "parameter_value",
        }
    }
}

/// Percent-decodes `text` (`%2F` → `/`); `what` names the piece for the error message.
fn decode(text: &str, what: Part) -> Result<String, BackupError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = byte else {
                return Err(invalid(messages::url_bad_percent(what.key())));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid(messages::url_not_utf8(what.key())))
}

fn invalid(problem: Message) -> BackupError {
    BackupError::Invalid(problem)
}

fn invalid_scheme(scheme: &str) -> BackupError {
    // What precedes `://` in a badly broken URL could be anything, a password included: only a word is quoted.
    let plausible = scheme.len() <= 20 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    invalid(if plausible { messages::url_unknown_scheme(scheme) } else { messages::url_no_scheme() })
}
