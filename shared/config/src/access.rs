//! The rules for `ui.entrance` and `ui.allow_ips`, as pure functions that say precisely what is wrong.
//!
//! They live apart from the loader so that each rule is tested on its own, and so that the loader only decides
//! where a value came from and how to report it.

use std::net::IpAddr;

use ipnet::IpNet;

/// First path segments the panel uses itself; an entrance named like one of them would shadow a route or hint
/// at what it protects.
pub(crate) const RESERVED_SEGMENTS: &[&str] =
    &["api", "health", "webhooks", "assets", "login", "logout", "audit", "users", "account", "settings", "setup"];

/// The shortest and longest entrance, in characters after the `/`.
const ENTRANCE_CHARS: std::ops::RangeInclusive<usize> = 8..=64;

/// What is wrong with a value and how to fix it, both without a trailing full stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) message: String,
    pub(crate) fix: String,
}

fn refuse(message: impl Into<String>, fix: impl Into<String>) -> Refusal {
    Refusal { message: message.into(), fix: fix.into() }
}

/// The fix offered for most entrance mistakes.
const ENTRANCE_FIX: &str = "use a slash and 8 to 64 letters, digits, `_` or `-`, such as /k8Jd02xQ \
                            (`openssl rand -hex 8` gives a good one)";

/// Checks a security entrance: `/` then 8 to 64 characters of `[A-Za-z0-9_-]`, one segment, not a path the
/// panel uses itself.
pub(crate) fn check_entrance(entrance: &str) -> Result<(), Refusal> {
    let Some(segment) = entrance.strip_prefix('/') else {
        return Err(refuse(
            format!("`{entrance}` does not start with `/`"),
            format!("write it as a path: /{}", entrance.trim_start_matches('/')),
        ));
    };
    if segment.is_empty() {
        return Err(refuse("`/` is the root, not an entrance", ENTRANCE_FIX));
    }
    if let Some(trimmed) = segment.strip_suffix('/') {
        return Err(refuse(
            format!("`{entrance}` ends with `/`"),
            format!("remove the trailing slash: /{}", trimmed.trim_end_matches('/')),
        ));
    }
    if segment.contains('/') {
        return Err(refuse(format!("`{entrance}` has more than one path segment"), ENTRANCE_FIX));
    }
    if let Some(reserved) = RESERVED_SEGMENTS.iter().find(|r| r.eq_ignore_ascii_case(segment)) {
        return Err(refuse(
            format!("`/{segment}` is a path the panel already serves (/{reserved})"),
            "choose a random segment instead, such as the output of `openssl rand -hex 8`",
        ));
    }
    if let Some(bad) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        return Err(refuse(format!("`{entrance}` contains {bad:?}, which is not allowed"), ENTRANCE_FIX));
    }
    let length = segment.chars().count();
    if !ENTRANCE_CHARS.contains(&length) {
        return Err(refuse(
            format!(
                "`{entrance}` has {length} characters after the `/`; it needs {} to {}",
                ENTRANCE_CHARS.start(),
                ENTRANCE_CHARS.end()
            ),
            ENTRANCE_FIX,
        ));
    }
    Ok(())
}

/// Parses one allow-list entry: an address (`192.0.2.7`, `2001:db8::1`) or a CIDR range (`192.0.2.0/24`,
/// `2001:db8::/32`). An address becomes a range of one.
pub(crate) fn parse_allow_entry(entry: &str) -> Result<IpNet, Refusal> {
    let entry = entry.trim();
    let fix = "use an IPv4 or IPv6 address or CIDR range, such as 192.0.2.7, 192.0.2.0/24 or 2001:db8::/32";
    if entry.is_empty() {
        return Err(refuse("has an empty entry", "remove the empty entry"));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Ok(IpNet::from(ip.to_canonical()));
    }
    match entry.split_once('/') {
        Some((address, bits)) => {
            let Ok(ip) = address.parse::<IpAddr>() else {
                return Err(refuse(format!("`{entry}`: `{address}` is not an IP address"), fix));
            };
            let max = if ip.is_ipv4() { 32 } else { 128 };
            match bits.parse::<u8>() {
                Ok(len) if len <= max => {
                    IpNet::new(ip, len).map(|net| net.trunc()).map_err(|e| refuse(e.to_string(), fix))
                }
                _ => Err(refuse(format!("`{entry}`: the prefix length must be a number from 0 to {max}"), fix)),
            }
        }
        None => Err(refuse(format!("`{entry}` is not an IP address or CIDR range"), fix)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(entrance: &str) -> String {
        check_entrance(entrance).expect_err(entrance).message
    }

    #[test]
    fn good_entrances_pass() {
        for good in ["/k8Jd02xQ", "/abc_DEF-123", &format!("/{}", "a".repeat(64))] {
            assert_eq!(check_entrance(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn each_entrance_mistake_has_its_own_message() {
        assert_eq!(message("k8Jd02xQ"), "`k8Jd02xQ` does not start with `/`");
        assert_eq!(check_entrance("k8Jd02xQ").unwrap_err().fix, "write it as a path: /k8Jd02xQ");
        assert_eq!(message("/"), "`/` is the root, not an entrance");
        assert_eq!(message("/k8Jd02xQ/"), "`/k8Jd02xQ/` ends with `/`");
        assert_eq!(check_entrance("/k8Jd02xQ/").unwrap_err().fix, "remove the trailing slash: /k8Jd02xQ");
        assert_eq!(message("/k8Jd02xQ/more"), "`/k8Jd02xQ/more` has more than one path segment");
        assert_eq!(message("/settings"), "`/settings` is a path the panel already serves (/settings)");
        assert_eq!(message("/Webhooks"), "`/Webhooks` is a path the panel already serves (/webhooks)");
        assert_eq!(message("/login"), "`/login` is a path the panel already serves (/login)");
        assert_eq!(message("/k8Jd.02xQ"), "`/k8Jd.02xQ` contains '.', which is not allowed");
        assert_eq!(message("/short"), "`/short` has 5 characters after the `/`; it needs 8 to 64");
        assert!(message(&format!("/{}", "a".repeat(65))).contains("has 65 characters"));
    }

    #[test]
    fn allow_entries_are_addresses_or_ranges_of_either_family() {
        assert_eq!(parse_allow_entry("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(parse_allow_entry(" 192.0.2.9/24 ").unwrap().to_string(), "192.0.2.0/24");
        assert_eq!(parse_allow_entry("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        assert_eq!(parse_allow_entry("2001:db8::/32").unwrap().to_string(), "2001:db8::/32");
        assert_eq!(parse_allow_entry("::ffff:192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
    }

    #[test]
    fn bad_allow_entries_say_what_is_wrong() {
        let message = |entry: &str| parse_allow_entry(entry).expect_err(entry).message;
        assert_eq!(message("10.0.0.300"), "`10.0.0.300` is not an IP address or CIDR range");
        assert_eq!(message("10.0.0.0/33"), "`10.0.0.0/33`: the prefix length must be a number from 0 to 32");
        assert_eq!(message("::/129"), "`::/129`: the prefix length must be a number from 0 to 128");
        assert_eq!(message("office/24"), "`office/24`: `office` is not an IP address");
        assert_eq!(message("  "), "has an empty entry");
    }
}
