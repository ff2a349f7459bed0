//! The shapes of a certificate's values, checked without I/O: names, e-mail addresses, URLs, hook commands,
//! profile names, serials and fingerprints. Whether a name resolves or a directory answers is the worker's
//! discovery, not a rule.

use std::net::IpAddr;

use crate::deployments::is_hostname;

/// The most names one certificate carries (Let's Encrypt's limit).
pub const MAX_NAMES: usize = 100;
/// The longest name, in bytes (DNS's limit).
pub const NAME_MAX_BYTES: usize = 253;
/// The longest DNS-01 hook command, in bytes.
pub const DNS_HOOK_MAX_BYTES: usize = 4096;
/// The longest URL or path kept in a certificate's facts.
pub const URL_MAX_BYTES: usize = 2048;

/// What is wrong with one name; the first rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameProblem {
    /// Longer than [`NAME_MAX_BYTES`].
    TooLong,
    /// An IPv4 or IPv6 address: ACME can certify them, Lawha's installation does not serve them.
    IpAddress,
    /// A wildcard, which only DNS-01 can prove.
    WildcardNeedsDns,
    /// Not a lowercase host name, or a `*` elsewhere than a leading `*.`.
    Invalid,
}

/// The problem of one name given the challenge, if any: a lowercase host name, or `*.` and one for dns-01.
pub(super) fn name_problem(name: &str, dns_01: bool) -> Option<NameProblem> {
    if name.len() > NAME_MAX_BYTES {
        return Some(NameProblem::TooLong);
    }
    if is_ip_address(name) {
        return Some(NameProblem::IpAddress);
    }
    match name.strip_prefix("*.") {
        Some(base) if is_hostname(base) && !is_ip_address(base) => (!dns_01).then_some(NameProblem::WildcardNeedsDns),
        Some(_) => Some(NameProblem::Invalid),
        None if is_hostname(name) => None,
        None => Some(NameProblem::Invalid),
    }
}

/// Whether `name` is an IP address, v4 or v6, bare or in brackets.
pub fn is_ip_address(name: &str) -> bool {
    let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    bare.parse::<IpAddr>().is_ok()
}

/// The wildcard among `names` that already covers `name` (`*.example.com` covers `www.example.com`): the CA
/// refuses an order that names both.
pub(super) fn covering_wildcard<'a>(name: &str, names: &'a [String]) -> Option<&'a str> {
    if name.starts_with("*.") {
        return None;
    }
    let (_, parent) = name.split_once('.')?;
    names.iter().map(String::as_str).find(|other| other.strip_prefix("*.") == Some(parent))
}

/// A contact e-mail address: `local@domain`, at most 254 bytes; the local part printable ASCII without spaces
/// and the characters that would break a `mailto:` URL, not starting or ending with `.`; the domain a host name
/// (any case) with at least two labels.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&'*+-./=^_`{|}~".contains(&b));
    email.len() <= 254 && local_ok && domain.contains('.') && is_hostname(&domain.to_ascii_lowercase())
}

/// What is wrong with a custom directory URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UrlProblem {
    /// Not `scheme://host[:port]/…` of at most [`URL_MAX_BYTES`] without spaces or control characters.
    Shape,
    /// http to another host than a loopback one.
    NotHttps,
}

/// Checks a directory URL: https, or http on `localhost`, `127.0.0.0/8` or `[::1]` only (pebble in tests).
pub(super) fn directory_url_problem(url: &str) -> Option<UrlProblem> {
    let (scheme, host) = match url_parts(url) {
        Some(parts) => parts,
        None => return Some(UrlProblem::Shape),
    };
    match scheme {
        "https" => None,
        "http" if is_loopback(host) => None,
        "http" => Some(UrlProblem::NotHttps),
        _ => Some(UrlProblem::Shape),
    }
}

/// Whether `url` is an http or https URL of a sane shape (an explanation URL, an order URL).
pub(super) fn is_web_url(url: &str) -> bool {
    url_parts(url).is_some_and(|(scheme, _)| matches!(scheme, "http" | "https"))
}

/// The scheme and host (without port) of `scheme://host[:port][/…]`, if it has that shape.
fn url_parts(url: &str) -> Option<(&str, &str)> {
    if url.len() > URL_MAX_BYTES || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => &authority[..v6.find(']')? + 2],
        None => authority.split(':').next().unwrap_or_default(),
    };
    let port = &authority[host.len()..];
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = is_ip_address(host) || is_hostname(&host.to_ascii_lowercase());
    (host_ok && port_ok).then_some((scheme, host))
}

/// Whether a URL's host is this machine: `localhost`, an address of `127.0.0.0/8`, or `[::1]`.
fn is_loopback(host: &str) -> bool {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What is wrong with a DNS-01 hook command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HookProblem {
    /// Empty or only spaces.
    Blank,
    /// Longer than [`DNS_HOOK_MAX_BYTES`].
    TooLong,
    /// A control character (a hook is one command line).
    Control,
}

/// Checks a DNS-01 hook command.
pub(super) fn hook_problem(hook: &str) -> Option<HookProblem> {
    if hook.trim().is_empty() {
        Some(HookProblem::Blank)
    } else if hook.len() > DNS_HOOK_MAX_BYTES {
        Some(HookProblem::TooLong)
    } else if hook.chars().any(char::is_control) {
        Some(HookProblem::Control)
    } else {
        None
    }
}

/// An ACME profile name (`classic`, `tlsserver`, `shortlived`): 1-64 lowercase letters, digits and `-`.
pub fn is_profile_name(profile: &str) -> bool {
    (1..=64).contains(&profile.len())
        && profile.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An absolute path of at most [`URL_MAX_BYTES`] without control characters.
pub(super) fn is_absolute_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= URL_MAX_BYTES && !path.chars().any(char::is_control)
}

/// A certificate's serial as the worker writes it: 1-40 lowercase hexadecimal digits (at most 20 octets).
pub(super) fn is_serial(serial: &str) -> bool {
    (1..=40).contains(&serial.len()) && serial.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A SHA-256 fingerprint of the DER certificate: 64 lowercase hexadecimal digits.
pub fn is_sha256_fingerprint(fingerprint: &str) -> bool {
    fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
