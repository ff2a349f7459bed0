//! The ACME account of a directory and a contact address: found in `<dir>/accounts/` or registered with the CA
//! and kept there, its credentials (which hold the account's private key) sealed with the panel's secret key
//! (purpose [`SEAL_PURPOSE`]) in a file of mode 0600 named by SHA-256 of `<directory URL>|<email>`.
//!
//! The HTTP client follows the directory: the system's roots for a public CA, the certificate's trusted root
//! for a private one, and plain HTTP for a directory on this machine's loopback (which the certificate rules
//! allow; instant-acme's own client speaks HTTPS only).

use std::path::{Path, PathBuf};

use instant_acme::{Account, AccountBuilder, AccountCredentials, BodyWrapper, NewAccount};
use lawha_domain::certificates::{Directory, OrderStep};
use lawha_store::SealKey;
use sha2::{Digest as _, Sha256};

use super::{EngineError, fsutil};
use crate::messages;

/// The purpose the accounts' credentials are sealed under.
pub const SEAL_PURPOSE: &str = "acme-account";

/// Where the accounts are kept, and the key that seals them.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// `<certificates.dir>/accounts`.
    pub dir: PathBuf,
    /// Seals and opens the credentials.
    pub seal: SealKey,
}

/// An HTTP client for the directory's URL, as described above.
fn builder(directory: &Directory) -> Result<AccountBuilder, instant_acme::Error> {
    match directory {
        Directory::Custom { url, .. } if url.starts_with("http://") => {
            let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<BodyWrapper<hyper::body::Bytes>>();
            Ok(Account::builder_with_http(Box::new(client)))
        }
        Directory::Custom { trusted_root: Some(root), .. } => Account::builder_with_root(root),
        _ => Account::builder(),
    }
}

/// The file of the account of `url` and `email`.
pub fn account_file(dir: &Path, url: &str, email: Option<&str>) -> PathBuf {
    let digest = Sha256::digest(format!("{url}|{}", email.unwrap_or_default()).as_bytes());
    dir.join(format!("{}.sealed", hex::encode(digest)))
}

impl Accounts {
    /// The account of `directory` and `email`: the kept one, or a new one registered now (terms of service
    /// agreed) and kept. A kept file that does not open (another secret key) is an error, never silently
    /// replaced: the account may hold the CA's rate-limit history and its orders.
    pub async fn account(&self, directory: &Directory, email: Option<&str>) -> Result<Account, EngineError> {
        let fail = |reason| EngineError::permanent(OrderStep::Account, reason);
        let url = directory.url();
        let file = account_file(&self.dir, url, email);
        let http = |e: instant_acme::Error| EngineError::acme(OrderStep::Account, &e);
        if let Some(sealed) = fsutil::read_optional(&file).map_err(fail)? {
            let text = String::from_utf8_lossy(&sealed);
            let opened =
                self.seal.open(text.trim()).map_err(|e| fail(messages::account_unopenable(&file, e.to_string())))?;
            let credentials: AccountCredentials = serde_json::from_slice(&opened)
                .map_err(|e| fail(messages::account_unopenable(&file, e.to_string())))?;
            return builder(directory).map_err(http)?.from_credentials(credentials).await.map_err(http);
        }
        let contact = email.map(|email| format!("mailto:{email}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, credentials) =
            builder(directory).map_err(http)?.create(&new, url.to_owned(), None).await.map_err(http)?;
        let json = serde_json::to_vec(&credentials).map_err(|e| fail(messages::acme_failed(e.to_string())))?;
        fsutil::create_dir(&self.dir, 0o700).map_err(fail)?;
        fsutil::write_atomic(&file, self.seal.seal(&json).as_bytes(), 0o600).map_err(fail)?;
        Ok(account)
    }

    /// Forgets the kept account of `directory` and `email` (the CA no longer knows it), so the next order
    /// registers a new one.
    pub fn forget(&self, directory: &Directory, email: Option<&str>) {
        let _ = std::fs::remove_file(account_file(&self.dir, directory.url(), email));
    }
}
