//! One order, end to end: the account, a new order for the names (with the profile when one is asked, and
//! `replaces` naming the certificate it renews so the CA can exempt it from rate limits; a CA that refuses
//! `replaces` is asked once more without it), the authorizations (those already valid are skipped, as a CA
//! reuses recent ones), the answers to their challenges (taken back whatever happens), the wait until the order
//! is ready (with backoff, honouring the CA's Retry-After), the CSR made here for a key made here, and the chain.
//!
//! A CA's `badNonce` answer is retried inside instant-acme (three times per request), so pebble's 5% nonce
//! rejection never reaches this code. The key leaves this module only inside [`Issued`], to be written with
//! mode 0600; it is never in a message.

use std::{borrow::Cow, time::Duration};

use instant_acme::{
    Account, AuthorizationStatus, CertificateIdentifier, ChallengeType, Identifier, NewOrder, Order, OrderStatus,
    RetryPolicy,
};
use lawha_domain::certificates::{CertificateSpec, Challenge, KeyType, OrderStep};
use rcgen::{CertificateParams, DistinguishedName, KeyPair};

use super::{
    EngineError,
    account::Accounts,
    challenge::{Answer, Answering},
};
use crate::messages;

/// How long the CA gets to check the answers and issue.
const READY_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the CA gets to sign after the CSR.
const CERTIFICATE_TIMEOUT: Duration = Duration::from_secs(120);

/// What an order got: the chain, its key, the order's URL and the certificate it named as replaced.
#[derive(Clone)]
pub struct Issued {
    /// The PEM chain, leaf first.
    pub chain_pem: String,
    /// The PEM private key (PKCS#8). Secret.
    pub key_pem: String,
    /// The ACME order's URL.
    pub order_url: String,
    /// The ARI id sent in `replaces`, when the CA accepted it.
    pub replaces: Option<String>,
}

/// Never the key.
impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("order_url", &self.order_url).field("replaces", &self.replaces).finish()
    }
}

/// Orders certificates.
#[derive(Debug, Clone)]
pub struct Acme {
    /// The accounts.
    pub accounts: Accounts,
    /// How challenges are answered.
    pub answering: Answering,
}

/// The ARI id `aki.serial` as instant-acme takes it.
fn identifier(id: &str) -> Option<CertificateIdentifier<'static>> {
    let (aki, serial) = id.split_once('.')?;
    Some(CertificateIdentifier {
        authority_key_identifier: Cow::Owned(aki.to_owned()),
        serial: Cow::Owned(serial.to_owned()),
    })
}

/// A new key of `kind` for the certificate. rcgen on ring cannot generate RSA keys (ring only signs with
/// them), so `rsa-2048` is refused with a message saying so.
fn new_key(kind: KeyType) -> Result<KeyPair, EngineError> {
    match kind {
        KeyType::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| EngineError::permanent(OrderStep::Finalize, messages::key_failed(e.to_string()))),
        KeyType::Rsa2048 => Err(EngineError::permanent(OrderStep::Finalize, messages::rsa_unsupported())),
    }
}

impl Acme {
    /// Orders a certificate for `spec`, naming `replaces` (an ARI id) as the certificate it renews.
    pub async fn order(&self, spec: &CertificateSpec, replaces: Option<&str>) -> Result<Issued, EngineError> {
        // The key first: a key type this build cannot make fails before the CA is asked anything.
        let key = new_key(spec.key_type)?;
        let email = spec.email.as_deref();
        let account = self.accounts.account(&spec.directory, email).await?;
        let (mut order, replaces) = match new_order(&account, spec, replaces).await {
            // A CA that forgot the kept account (a test CA restarted, an account deactivated elsewhere): register
            // again, once.
            Err(e) if e.reason.arg("kind").is_some_and(|kind| kind.to_string() == "accountDoesNotExist") => {
                tracing::info!(
                    directory = spec.directory.url(),
                    "the CA no longer knows the account; registering again"
                );
                self.accounts.forget(&spec.directory, email);
                let account = self.accounts.account(&spec.directory, email).await?;
                new_order(&account, spec, replaces).await?
            }
            other => other?,
        };
        let mut answers = Vec::new();
        let validated = self.validate(&mut order, spec, &mut answers).await;
        self.answering.take_back(answers).await;
        validated?;
        let mut params = CertificateParams::new(spec.names.clone())
            .map_err(|e| EngineError::permanent(OrderStep::Finalize, messages::key_failed(e.to_string())))?;
        params.distinguished_name = DistinguishedName::new();
        let csr = params
            .serialize_request(&key)
            .map_err(|e| EngineError::permanent(OrderStep::Finalize, messages::key_failed(e.to_string())))?;
        order.finalize_csr(csr.der()).await.map_err(|e| EngineError::acme(OrderStep::Finalize, &e))?;
        let policy = RetryPolicy::new().timeout(CERTIFICATE_TIMEOUT);
        let chain_pem =
            order.poll_certificate(&policy).await.map_err(|e| EngineError::acme(OrderStep::Download, &e))?;
        Ok(Issued { chain_pem, key_pem: key.serialize_pem(), order_url: order.url().to_owned(), replaces })
    }

    /// Answers every pending authorization's challenge (each answer pushed to `answers` as soon as it is in
    /// place), then waits until the order is ready.
    async fn validate(
        &self,
        order: &mut Order,
        spec: &CertificateSpec,
        answers: &mut Vec<Answer>,
    ) -> Result<(), EngineError> {
        let kind = match spec.challenge {
            Challenge::Http01 => ChallengeType::Http01,
            Challenge::Dns01 { .. } => ChallengeType::Dns01,
        };
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization.map_err(|e| EngineError::acme(OrderStep::Authorization, &e))?;
            match authorization.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                other => {
                    let name = authorization.identifier().to_string();
                    let status = format!("{other:?}").to_lowercase();
                    return Err(EngineError::permanent(
                        OrderStep::Authorization,
                        messages::authorization_status(name, status),
                    ));
                }
            }
            let name = authorization.identifier().to_string();
            let Some(mut challenge) = authorization.challenge(kind.clone()) else {
                let offered = messages::challenge_not_offered(&name, spec.challenge.as_str());
                return Err(EngineError::permanent(OrderStep::Authorization, offered));
            };
            let key_authorization = challenge.key_authorization();
            let answer = match &spec.challenge {
                Challenge::Http01 => self.answering.http(&challenge.token, key_authorization.as_str())?,
                Challenge::Dns01 { hook } => self.answering.dns(hook, &name, &key_authorization.dns_value()).await?,
            };
            answers.push(answer);
            challenge.set_ready().await.map_err(|e| EngineError::acme(OrderStep::Challenge, &e))?;
        }
        let policy = RetryPolicy::new().timeout(READY_TIMEOUT);
        match order.poll_ready(&policy).await.map_err(|e| EngineError::acme(OrderStep::Challenge, &e))? {
            OrderStatus::Ready => Ok(()),
            _ => Err(why_invalid(order).await),
        }
    }
}

/// Creates the order, with `replaces` when given; a CA that refuses it (no ARI, an id it does not know, a
/// certificate already replaced) is asked once more without it.
async fn new_order(
    account: &Account,
    spec: &CertificateSpec,
    replaces: Option<&str>,
) -> Result<(Order, Option<String>), EngineError> {
    let identifiers: Vec<Identifier> = spec.names.iter().cloned().map(Identifier::Dns).collect();
    let plain = || {
        let order = NewOrder::new(&identifiers);
        match &spec.profile {
            Some(profile) => order.profile(profile),
            None => order,
        }
    };
    if let Some((id, replaced)) = replaces.and_then(|id| Some((id, identifier(id)?))) {
        match account.new_order(&plain().replaces(replaced)).await {
            Ok(order) => return Ok((order, Some(id.to_owned()))),
            Err(e) => tracing::info!(error = %e, "the CA refused the order's `replaces`; ordering without it"),
        }
    }
    let order = account.new_order(&plain()).await.map_err(|e| EngineError::acme(OrderStep::Order, &e))?;
    Ok((order, None))
}

/// Why an order became invalid: the first challenge error the CA reports, else the order's own error.
async fn why_invalid(order: &mut Order) -> EngineError {
    let order_error = order.state().error.clone();
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authorization)) = authorizations.next().await {
        if authorization.refresh().await.is_err() {
            continue;
        }
        let problem = authorization.challenges.iter().find_map(|c| c.error.clone());
        if let Some(problem) = problem {
            return EngineError::acme(OrderStep::Challenge, &instant_acme::Error::Api(problem));
        }
    }
    match order_error {
        Some(problem) => EngineError::acme(OrderStep::Challenge, &instant_acme::Error::Api(problem)),
        None => EngineError::permanent(OrderStep::Challenge, messages::order_invalid()),
    }
}
