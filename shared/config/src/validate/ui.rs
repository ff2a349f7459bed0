//! The web UI's settings: the secret entrance, the allowed client addresses, the proxies trusted to name the
//! client and the session timeouts.

use super::Builder;
use crate::access::{self, Refusal};
use crate::sections::SessionConfig;

impl Builder {
    /// `ui.entrance`: unset or empty means none.
    pub(super) fn entrance(&mut self) -> Option<String> {
        let entrance = self.text("ui.entrance").filter(|e| !e.is_empty())?;
        match access::check_entrance(&entrance) {
            Ok(()) => Some(entrance),
            Err(Refusal { message, fix }) => {
                self.report("ui.entrance", message, fix);
                None
            }
        }
    }

    /// `ui.allow_ips`: every bad entry is reported, each with its position.
    pub(super) fn allow_ips(&mut self) -> Vec<ipnet::IpNet> {
        let Some(entries) = self.list("ui.allow_ips", "addresses", ALLOW_FIX) else { return Vec::new() };
        let mut nets = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match access::parse_allow_entry(entry) {
                Ok(net) => nets.push(net),
                Err(Refusal { message, fix }) => {
                    self.report("ui.allow_ips", format!("entry {}: {message}", index + 1), fix);
                }
            }
        }
        nets
    }

    /// `http.trusted_proxies`: the same entries as `ui.allow_ips`; unset means this host's loopback addresses, an
    /// empty list trusts no proxy.
    pub(super) fn trusted_proxies(&mut self) -> Vec<ipnet::IpNet> {
        let fix = "write a TOML array such as [\"127.0.0.1\", \"172.31.250.1\"], or a comma-separated list in \
                   LAWHA_HTTP__TRUSTED_PROXIES";
        let Some(entries) = self.list("http.trusted_proxies", "addresses", fix) else {
            return crate::sections::default_trusted_proxies();
        };
        let mut nets = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match access::parse_allow_entry(entry) {
                Ok(net) => nets.push(net),
                Err(Refusal { message, fix }) => {
                    self.report("http.trusted_proxies", format!("entry {}: {message}", index + 1), fix);
                }
            }
        }
        nets
    }

    /// `session.*`, with the rule that a session cannot end by idleness later than it ends anyway.
    pub(super) fn session(&mut self) -> SessionConfig {
        let defaults = SessionConfig::default();
        let reported = self.problems.len();
        let idle = self.number("session.idle_timeout_secs", defaults.idle_timeout_secs, 60, Some(MAX_SESSION_SECS));
        let absolute =
            self.number("session.absolute_timeout_secs", defaults.absolute_timeout_secs, 60, Some(MAX_SESSION_SECS));
        // Compared only when both values were accepted; otherwise a default would be blamed.
        if self.problems.len() == reported && absolute < idle {
            self.report(
                "session.absolute_timeout_secs",
                format!("{absolute} is shorter than session.idle_timeout_secs ({idle})"),
                format!("use at least {idle}, or lower session.idle_timeout_secs"),
            );
        }
        SessionConfig { idle_timeout_secs: idle, absolute_timeout_secs: absolute }
    }
}

/// The fix offered when `ui.allow_ips` has the wrong type.
const ALLOW_FIX: &str = "write a TOML array such as [\"192.0.2.0/24\", \"2001:db8::1\"], \
                         or a comma-separated list in LAWHA_UI__ALLOW_IPS";

/// The longest session timeout, a year: longer is no timeout, and keeps the arithmetic far from overflow.
const MAX_SESSION_SECS: u64 = 31_536_000;
