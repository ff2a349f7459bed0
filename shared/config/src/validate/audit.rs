//! The keyring and the audit chain's anchors: `previous_secret_keys` (each at least 32 bytes, none the current key)
//! and `audit.*` (the checkpoint interval, 0 or 60 to 604800 seconds, and an http:// URL).

use super::Builder;
use crate::audit::AuditConfig;

/// The fix offered for a bad entry of `previous_secret_keys`.
const PREVIOUS_FIX: &str = "list the secret keys used before, each at least 32 bytes: comma-separated in \
                            LAWHA_PREVIOUS_SECRET_KEYS, one per line in LAWHA_PREVIOUS_SECRET_KEYS_FILE, or a TOML \
                            array in the file";

/// The fix offered for a bad `audit.checkpoint_url`.
const URL_FIX: &str = "use an http:// URL such as http://anchor.internal:8080/lawha (a collector on a network you \
                       trust, or a local relay that forwards to an https:// service)";

impl Builder {
    /// `previous_secret_keys`: the secret keys used before the current one, kept so that what they chained, signed
    /// and sealed still verifies and opens. Entries are separated by commas or line breaks (a `_FILE` holds one per
    /// line); no entry is ever quoted in a problem.
    pub(super) fn previous_secret_keys(&mut self, current: Option<&[u8]>) -> Vec<Vec<u8>> {
        let Some(items) = self.list("previous_secret_keys", "secret keys", PREVIOUS_FIX) else {
            return Vec::new();
        };
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let entries = items.iter().flat_map(|item| item.split(['\n', '\r'])).map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let bytes = entry.as_bytes().to_vec();
            if bytes.len() < 32 {
                let message = format!("entry {} is {} bytes long; at least 32 are required", index + 1, bytes.len());
                self.report("previous_secret_keys", message, PREVIOUS_FIX);
            } else if current == Some(bytes.as_slice()) {
                let message = format!("entry {} is the current secret_key", index + 1);
                self.report("previous_secret_keys", message, "list only the keys used before the current one");
            } else if !keys.contains(&bytes) {
                keys.push(bytes);
            }
        }
        keys
    }

    /// `audit.*`.
    pub(super) fn audit(&mut self) -> AuditConfig {
        let defaults = AuditConfig::default();
        let interval =
            self.number("audit.checkpoint_interval_secs", defaults.checkpoint_interval_secs, 0, Some(604_800));
        let checkpoint_interval_secs = if (1..60).contains(&interval) {
            self.report(
                "audit.checkpoint_interval_secs",
                format!("{interval} is out of range"),
                "use 0 (checkpoints on verification only) or a whole number from 60 to 604800",
            );
            defaults.checkpoint_interval_secs
        } else {
            interval
        };
        let checkpoint_url = self.text("audit.checkpoint_url").filter(|url| !url.trim().is_empty()).and_then(|url| {
            let url = url.trim().to_owned();
            let rest = url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).map(|_| &url[7..]);
            match rest {
                Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Some(url),
                Some(_) => {
                    self.report("audit.checkpoint_url", "has no host", URL_FIX);
                    None
                }
                None => {
                    // Only the scheme is quoted: the rest may hold a token.
                    let scheme = url.split_once(':').map_or("none", |(s, _)| s);
                    let message = format!(
                        "scheme `{scheme}` is not supported; the panel posts checkpoints over plain http:// (it \
                         carries no TLS client)"
                    );
                    self.report("audit.checkpoint_url", message, URL_FIX);
                    None
                }
            }
        });
        AuditConfig { checkpoint_interval_secs, checkpoint_url }
    }
}
