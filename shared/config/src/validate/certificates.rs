//! The cert worker's settings (`certificates.*`): two folders that must not be empty and two times in range.

use super::Builder;
use crate::certificates::CertificatesConfig;

impl Builder {
    /// `certificates.*`.
    pub(super) fn certificates(&mut self, data_dir: &std::path::Path) -> CertificatesConfig {
        let defaults = CertificatesConfig::defaults(data_dir);
        CertificatesConfig {
            dir: self.folder("certificates.dir", &defaults.dir),
            webroot: self.folder("certificates.webroot", &defaults.webroot),
            check_interval_secs: self.number(
                "certificates.check_interval_secs",
                defaults.check_interval_secs,
                60,
                Some(7 * 86_400),
            ),
            dns_hook_timeout_secs: self.number(
                "certificates.dns_hook_timeout_secs",
                defaults.dns_hook_timeout_secs,
                1,
                Some(3600),
            ),
        }
    }
}
