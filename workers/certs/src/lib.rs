//! The cert worker: TLS certificates ordered from an ACME CA, installed into this host's nginx, and renewed when
//! the CA's renewal window (ARI) or the certificate's lifetime says so. The `IssueCertificate` and
//! `RenewCertificate` job handler ([`register`]) runs one order and records what it found on the certificate's
//! stream; the renewal check ([`check::run`]) asks for renewals; the `lawha-cert-worker` binary serves the
//! `certificates.<host>` queue of its host (`deployments.host`) with both. `lawha serve` can run the same
//! in-process through [`Deps::new`], [`register`] and [`check::run`].
//!
//! [`engine`] holds the steps as library calls that know nothing of jobs, events or the panel's database:
//! [`engine::acme`] one order end to end, [`engine::account`] the ACME accounts sealed at rest,
//! [`engine::x509`] what is read from a chain, [`engine::ari`] the CA's renewal window, and
//! [`engine::install`] the atomic installation with nginx's test and reload (the previous files put back when
//! nginx refuses the new ones).
//!
//! Files: `<certificates.dir>/<certificate id>/fullchain.pem` and `privkey.pem` (0600), the pair served before
//! as `*.pem.previous`, an issued pair staged in `<id>/pending/` until it is installed, and the accounts in
//! `<certificates.dir>/accounts/<sha256(url|email)>.sealed`; HTTP-01 answers in
//! `<certificates.webroot>/.well-known/acme-challenge/<token>` for the length of an order.
//!
//! Private keys never leave the host's files: no event, log line or message holds one (invariant 8). Every fact
//! a job records has an id derived from the job (invariant 4). [`messages`] holds every line written for a
//! person; the words are in `locales/{en,ar}/certs.ftl`.

pub mod check;
pub mod engine;
mod issue;
pub mod messages;
pub mod metrics;
mod record;

use std::time::Duration;

use lawha_config::Config;
use lawha_jobs::runtime::Runtime;
use lawha_store::{Database, SealKey};

pub use check::{check_once, run as run_check};
use engine::{
    account::{Accounts, SEAL_PURPOSE},
    acme::Acme,
    challenge::Answering,
    install::Installer,
};
pub use issue::Issue;

/// What the handler and the check share.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The event log and the read models (the host's certificates).
    pub db: Database,
    /// Orders certificates (the accounts, the challenges' answers).
    pub acme: Acme,
    /// Installs them (the certificates' folder, nginx's commands).
    pub installer: Installer,
}

impl Deps {
    /// The dependencies from the configuration: `[certificates]`, nginx's commands of `[deployments]`, and the
    /// secret key that seals the ACME accounts.
    pub fn new(db: Database, config: &Config) -> Self {
        let c = &config.certificates;
        let d = &config.deployments;
        Self {
            db,
            acme: Acme {
                accounts: Accounts {
                    dir: c.dir.join("accounts"),
                    seal: SealKey::derive(config.secret_key_bytes(), SEAL_PURPOSE),
                },
                answering: Answering {
                    webroot: c.webroot.clone(),
                    hook_timeout: Duration::from_secs(c.dns_hook_timeout_secs),
                },
            },
            installer: Installer {
                dir: c.dir.clone(),
                nginx_test: d.nginx_test_command.clone(),
                nginx_reload: d.nginx_reload_command.clone(),
            },
        }
    }
}

/// Adds the `IssueCertificate` and `RenewCertificate` handler to a runtime.
pub fn register(runtime: Runtime, deps: &Deps) -> Runtime {
    runtime.handle("IssueCertificate", Issue(deps.clone())).handle("RenewCertificate", Issue(deps.clone()))
}
