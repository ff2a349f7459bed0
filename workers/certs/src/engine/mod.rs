//! The steps of a certificate's life as library calls that know nothing of jobs, events or the panel's
//! database: [`acme`] runs one order end to end (the account, the order, the challenges, the CSR, the chain),
//! [`x509`] reads what the panel records from the chain, [`ari`] asks the CA for its renewal window, and
//! [`install`] writes the files where nginx reads them and reloads nginx, putting the previous files back when
//! nginx refuses the new ones.
//!
//! Every failure is an [`EngineError`]: the [`OrderStep`] it happened in and a [`Message`] saying why, which
//! never holds a secret (no key, no account credentials), and whether trying again later may help.

pub mod account;
pub mod acme;
pub mod ari;
pub mod challenge;
pub mod fsutil;
mod hook;
pub mod install;
pub mod x509;

use lawha_domain::{Message, certificates::OrderStep};

use crate::messages;

/// How an engine step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step:?}: {reason}")]
pub struct EngineError {
    /// The step of the order it happened in.
    pub step: OrderStep,
    /// Why, for people (never a secret).
    pub reason: Message,
    /// Whether the same order may succeed later: the network, the CA's 5xx answers and its rate limits are
    /// passing troubles; a CA's refusal (a failed challenge, a rejected CSR) is not.
    pub retryable: bool,
}

impl EngineError {
    /// A failure that trying again will not mend.
    pub fn permanent(step: OrderStep, reason: Message) -> Self {
        Self { step, reason, retryable: false }
    }

    /// A failure that may pass.
    pub fn passing(step: OrderStep, reason: Message) -> Self {
        Self { step, reason, retryable: true }
    }

    /// An instant-acme error at `step`: a problem document from the CA keeps its type and detail; anything else
    /// is the library's own words (it never prints a key).
    pub fn acme(step: OrderStep, error: &instant_acme::Error) -> Self {
        match error {
            instant_acme::Error::Api(problem) => {
                let kind = problem.r#type.clone().unwrap_or_default();
                let kind = kind.strip_prefix("urn:ietf:params:acme:error:").unwrap_or(&kind).to_owned();
                let mut detail = problem.detail.clone().unwrap_or_default();
                for sub in &problem.subproblems {
                    detail.push_str(&format!("; {sub}"));
                }
                let passing = matches!(kind.as_str(), "rateLimited" | "serverInternal" | "badNonce")
                    || problem.status.is_some_and(|status| status >= 500);
                Self { step, reason: messages::acme_problem(kind, detail), retryable: passing }
            }
            instant_acme::Error::Timeout(_) => Self::passing(step, messages::acme_timed_out()),
            instant_acme::Error::Hyper(_) | instant_acme::Error::Http(_) | instant_acme::Error::Other(_) => {
                Self::passing(step, messages::acme_failed(error.to_string()))
            }
            _ => Self::permanent(step, messages::acme_failed(error.to_string())),
        }
    }
}
