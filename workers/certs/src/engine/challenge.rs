//! Answering a challenge, and taking the answer back whatever happened to the order: an HTTP-01 answer is the
//! key authorization in `<webroot>/.well-known/acme-challenge/<token>` (which nginx serves on port 80), a
//! DNS-01 answer a TXT record the operator's hook sets and clears.

use std::{path::PathBuf, time::Duration};

use lawha_domain::certificates::OrderStep;

use super::{EngineError, fsutil, hook};
use crate::messages;

/// How challenges are answered on this host.
#[derive(Debug, Clone)]
pub struct Answering {
    /// The folder nginx serves `/.well-known/acme-challenge/` from (`certificates.webroot`).
    pub webroot: PathBuf,
    /// The time limit of each DNS hook call.
    pub hook_timeout: Duration,
}

/// An answer in place, to take back.
#[derive(Debug)]
pub enum Answer {
    /// The file written for an HTTP-01 challenge.
    File(PathBuf),
    /// The TXT record set by the hook: the hook, the name and the value.
    Record(String, String, String),
}

/// A token that can be a file's name: the CA's tokens are base64url, anything else is refused.
fn token_ok(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 256
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Answering {
    /// Writes the HTTP-01 answer for `token`.
    pub fn http(&self, token: &str, key_authorization: &str) -> Result<Answer, EngineError> {
        let fail = |reason| EngineError::permanent(OrderStep::Challenge, reason);
        if !token_ok(token) {
            return Err(fail(messages::token_invalid(token)));
        }
        let dir = self.webroot.join(".well-known").join("acme-challenge");
        fsutil::create_dir(&dir, 0o755).map_err(fail)?;
        let file = dir.join(token);
        // The file is public by design (the CA fetches it over plain HTTP): nginx's workers must read it.
        fsutil::write_atomic(&file, key_authorization.as_bytes(), 0o644).map_err(fail)?;
        Ok(Answer::File(file))
    }

    /// Sets the DNS-01 record of `name` (a wildcard's base name) through `hook`.
    pub async fn dns(&self, hook: &str, name: &str, value: &str) -> Result<Answer, EngineError> {
        let name = name.strip_prefix("*.").unwrap_or(name);
        hook::run(hook, "set", name, value, self.hook_timeout).await?;
        Ok(Answer::Record(hook.to_owned(), name.to_owned(), value.to_owned()))
    }

    /// Takes every answer back; a failure is logged, never the order's outcome.
    pub async fn take_back(&self, answers: Vec<Answer>) {
        for answer in answers {
            match answer {
                Answer::File(file) => {
                    if let Err(e) = std::fs::remove_file(&file)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(path = %file.display(), error = %e, "could not remove an HTTP-01 answer");
                    }
                }
                Answer::Record(hook, name, value) => {
                    if let Err(e) = hook::run(&hook, "clear", &name, &value, self.hook_timeout).await {
                        tracing::warn!(name = %name, reason = %e.reason, "the DNS hook could not clear a record");
                    }
                }
            }
        }
    }
}
