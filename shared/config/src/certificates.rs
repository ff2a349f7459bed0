//! The cert worker's settings (`[certificates]`): where the certificates, their keys and the ACME accounts live on
//! the host, the folder nginx serves HTTP-01 challenges from, and how often the renewal check runs. nginx's test
//! and reload commands are the deploy worker's (`deployments.nginx_test_command`, `…_reload_command`): one nginx.

use std::path::{Path, PathBuf};

/// How the cert worker of this host orders, keeps and renews certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatesConfig {
    /// Where each certificate's files are written (`<dir>/<certificate id>/fullchain.pem` and `privkey.pem`,
    /// mode 0600) and the ACME accounts' sealed keys kept (`<dir>/accounts/`). nginx's site configuration names
    /// the files.
    pub dir: PathBuf,
    /// The folder served at `/.well-known/acme-challenge/` on port 80: the worker writes each HTTP-01 token to
    /// `<webroot>/.well-known/acme-challenge/<token>` for the length of an order.
    pub webroot: PathBuf,
    /// Seconds between two renewal checks of this host's certificates (each check is moved by up to a tenth at
    /// random, so hosts do not ask their CA at the same moment); a failed order's retry or a CA's window falling
    /// earlier brings the next check forward.
    pub check_interval_secs: u64,
    /// Seconds a DNS-01 hook command may take, each call.
    pub dns_hook_timeout_secs: u64,
}

impl CertificatesConfig {
    /// The defaults: files under `<data_dir>/certificates`, the challenge webroot `<data_dir>/acme-challenge`,
    /// a check a day, 120 s for a DNS hook.
    pub fn defaults(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("certificates"),
            webroot: data_dir.join("acme-challenge"),
            check_interval_secs: 86_400,
            dns_hook_timeout_secs: 120,
        }
    }
}
