//! The shapes a site's values must have, checked without I/O: names, repository URLs, git branch names, host
//! names, environment variable names, commits. Whether a repository answers or a host exists is the worker's
//! discovery, not a rule.

/// The longest build or start command, in bytes.
pub const COMMAND_MAX_BYTES: usize = 4096;

/// A name of a site: 1-64 ASCII letters, digits, `-`, `_` or `.`, starting with a letter or digit (the rule of
/// backup plans' names; it names the site's folder of releases).
pub fn is_site_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A commit: 40 lowercase hexadecimal digits (a SHA-1 object name, as GitHub sends it).
pub fn is_commit(commit: &str) -> bool {
    commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A branch name by the rules of `git check-ref-format --branch` that matter: at most 255 bytes; no `..`,
/// `@{`, `//`, space, control character or any of `~^:?*[\`; not `@`; not starting with `-` or `/`; not ending
/// with `/`, `.` or `.lock`; no component starting with `.` or ending with `.lock`.
pub fn is_branch_name(branch: &str) -> bool {
    let forbidden = |c: char| c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\');
    !branch.is_empty()
        && branch.len() <= 255
        && branch != "@"
        && !branch.chars().any(forbidden)
        && !branch.contains("..")
        && !branch.contains("@{")
        && !branch.starts_with('-')
        && !branch.ends_with('.')
        && branch.split('/').all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

/// A host name as a site's domain or host: lowercase ASCII letters, digits and `-` in dot-separated labels of
/// 1-63 characters that neither start nor end with `-`, at most 253 bytes, the last label not all digits (so an
/// IPv4 address is not a host name). No trailing dot, no wildcard.
pub fn is_hostname(name: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= 253
        && name.split('.').all(label_ok)
        && name.rsplit('.').next().is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()))
}

/// A host inside a repository URL, optionally with `:port`: letters (any case), digits, `-` and `.`, not
/// starting with `-` or `.` (so it can never be read as an option by `git` or `ssh`).
fn is_url_host(host: &str, port_allowed: bool) -> bool {
    let (name, port) = match host.split_once(':') {
        Some((name, port)) if port_allowed => (name, Some(port)),
        Some(_) => return false,
        None => (host, None),
    };
    !name.is_empty()
        && !name.starts_with(['-', '.'])
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// How a repository is reached, by the shape of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoryKind {
    /// `https://host/path`.
    Https,
    /// `user@host:path` or `ssh://[user@]host[:port]/path`.
    Ssh,
    /// `file:///absolute/path`.
    File,
}

/// Why a repository URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoryProblem {
    /// Not one of the accepted shapes.
    Shape,
    /// A URL with a password, or an https URL with a user name: it would enter the log in clear.
    Credentials,
}

/// The kind of a repository URL, checked by shape only (at most 2048 bytes, no space or control character).
pub fn repository_kind(url: &str) -> Result<RepositoryKind, RepositoryProblem> {
    if url.is_empty() || url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RepositoryProblem::Shape);
    }
    if let Some(rest) = url.strip_prefix("https://") {
        let (host, _) = host_and_path(rest).ok_or(RepositoryProblem::Shape)?;
        if host.contains('@') {
            return Err(RepositoryProblem::Credentials);
        }
        return if is_url_host(host, true) { Ok(RepositoryKind::Https) } else { Err(RepositoryProblem::Shape) };
    }
    if let Some(rest) = url.strip_prefix("ssh://") {
        let (authority, _) = host_and_path(rest).ok_or(RepositoryProblem::Shape)?;
        let host = match authority.split_once('@') {
            Some((user, _)) if user.contains(':') => return Err(RepositoryProblem::Credentials),
            Some((user, host)) if is_ssh_user(user) => host,
            Some(_) => return Err(RepositoryProblem::Shape),
            None => authority,
        };
        return if is_url_host(host, true) { Ok(RepositoryKind::Ssh) } else { Err(RepositoryProblem::Shape) };
    }
    if let Some(path) = url.strip_prefix("file://") {
        return if path.starts_with('/') && path.len() > 1 {
            Ok(RepositoryKind::File)
        } else {
            Err(RepositoryProblem::Shape)
        };
    }
    // The scp-like form: user@host:path, where the host has no port and the path is not empty.
    let scp = url.split_once('@').and_then(|(user, rest)| Some((user, rest.split_once(':')?)));
    match scp {
        Some((user, (host, path))) if is_ssh_user(user) && is_url_host(host, false) && !path.is_empty() => {
            Ok(RepositoryKind::Ssh)
        }
        _ => Err(RepositoryProblem::Shape),
    }
}

/// A URL's authority and path, split at the first `/`, with a path that is not empty.
fn host_and_path(rest: &str) -> Option<(&str, &str)> {
    rest.split_once('/').filter(|(_, path)| !path.is_empty())
}

/// An SSH user: letters, digits, `.`, `_`, `-`, not starting with `-`.
fn is_ssh_user(user: &str) -> bool {
    !user.is_empty()
        && !user.starts_with('-')
        && user.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A build or start command: not blank, at most [`COMMAND_MAX_BYTES`], no control character but tab and
/// newline (a command may be a short script).
pub fn is_command(command: &str) -> bool {
    !command.trim().is_empty()
        && command.len() <= COMMAND_MAX_BYTES
        && command.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n'))
}

/// Whether a start command uses the variable `PORT` (`$PORT` not followed by a name character, or `${PORT}`).
pub fn uses_port(command: &str) -> bool {
    command.contains("${PORT}")
        || command.match_indices("$PORT").any(|(at, found)| {
            !command[at + found.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A path the health check asks for: starts with `/`, at most 1024 bytes, printable ASCII without spaces.
pub fn is_health_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 1024 && path.bytes().all(|b| b.is_ascii_graphic())
}

/// An environment variable name: ASCII letters, digits and `_`, starting with a letter or `_`, at most 128.
pub fn is_env_name(name: &str) -> bool {
    name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
