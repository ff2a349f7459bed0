//! The CA's renewal window for an installed certificate (ARI, RFC 9773): `GET <renewalInfo>/<ari id>`, with the
//! time to ask again from the answer's Retry-After, kept between a minute and a day (RFC 9773 §4.3.2 lets a
//! client bound it) so neither a missing nor an absurd value makes the check hammer or forget the CA.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use instant_acme::Account;
use lawha_domain::certificates::{OrderStep, Window};

use super::EngineError;
use crate::messages;

/// The shortest wait before asking the CA again.
pub const MIN_RETRY: Duration = Duration::from_secs(60);
/// The longest.
pub const MAX_RETRY: Duration = Duration::from_secs(24 * 60 * 60);

/// What the CA suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalWindow {
    /// The window.
    pub window: Window,
    /// When to ask again.
    pub retry_after: DateTime<Utc>,
    /// The CA's page explaining a window moved early, if it gave one.
    pub explanation_url: Option<String>,
}

/// The window of the certificate whose ARI id is `ari_id`, as seen at `now`; None when the CA's directory has
/// no `renewalInfo`. Failures are reported at the [`OrderStep::Account`] step: no order is under way.
pub async fn fetch(account: &Account, ari_id: &str, now: DateTime<Utc>) -> Result<Option<RenewalWindow>, EngineError> {
    let Some((aki, serial)) = ari_id.split_once('.') else {
        return Err(EngineError::permanent(OrderStep::Account, messages::ari_id_invalid(ari_id)));
    };
    let id = instant_acme::CertificateIdentifier {
        authority_key_identifier: aki.to_owned().into(),
        serial: serial.to_owned().into(),
    };
    let (info, delay) = match account.renewal_info(&id).await {
        Ok(answer) => answer,
        Err(instant_acme::Error::Unsupported(_)) => return Ok(None),
        Err(e) => return Err(EngineError::acme(OrderStep::Account, &e)),
    };
    let at = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .ok_or_else(|| EngineError::permanent(OrderStep::Account, messages::ari_window_invalid()))
    };
    let window = Window {
        start: at(info.suggested_window.start.unix_timestamp())?,
        end: at(info.suggested_window.end.unix_timestamp())?,
    };
    let delay = delay.clamp(MIN_RETRY, MAX_RETRY);
    let retry_after = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(6));
    Ok(Some(RenewalWindow { window, retry_after, explanation_url: info.explanation_url }))
}
