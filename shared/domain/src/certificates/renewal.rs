//! When to renew a certificate: a pure decision from the clock, the certificate's validity, the CA's suggested
//! window (ARI, RFC 9773) and the last failure.
//!
//! The CA's advice wins: inside its window, at a random point of it, and at once when the window has started or
//! was moved into the past (a CA moves windows earlier when it is about to revoke, as Let's Encrypt did in May
//! 2026), whatever the lifetime rule would say; a well-known client skipped exactly that case ("ARI
//! suggestedWindow has started, but cert not renewed"). Without a window, a certificate is renewed when a third
//! of its lifetime is left, which is right for 90-day certificates (30 days before) and for six-day ones (two
//! days before) alike; a fixed "30 days before expiry" would renew a six-day certificate at every check. Failed
//! orders back off exponentially, but never so far that the certificate expires before the next try.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Certificate, CertificateStatus};

/// The first wait after a failed order; each failure in a row doubles it.
pub const BACKOFF_BASE: TimeDelta = TimeDelta::hours(1);
/// The longest wait between two tries.
pub const BACKOFF_CAP: TimeDelta = TimeDelta::hours(24);
/// How long before expiry the last try after a failure happens at the latest (then hourly).
pub const EXPIRY_MARGIN: TimeDelta = TimeDelta::hours(6);

/// The CA's suggested renewal window (ARI's `suggestedWindow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// When renewal should start.
    pub start: DateTime<Utc>,
    /// When it should be done by.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Whether the window is usable: RFC 9773 has clients ignore a window whose end is not after its start.
    pub fn is_valid(&self) -> bool {
        self.end > self.start
    }

    /// The point at `fraction` (0 = start, 1 = end) of the window.
    pub fn at(&self, fraction: f64) -> DateTime<Utc> {
        let fraction = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
        let span = (self.end - self.start).num_milliseconds();
        // A window spans far less than 2^53 ms, so the float keeps every millisecond, and the product stays
        // within the span.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let offset = (span as f64 * fraction) as i64;
        self.start + TimeDelta::milliseconds(offset)
    }
}

/// The last failed order of the current renewal: when, and how many failed in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When it failed.
    pub at: DateTime<Utc>,
    /// How many orders in a row have failed, this one included (1 for the first).
    pub attempt: u32,
}

/// Why a renewal is due now or later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The certificate has expired.
    Expired,
    /// The CA's window has ended, or was moved into the past: renew at once.
    AriWindowPassed,
    /// The CA's window has started: renew at once.
    AriWindowStarted,
    /// The random point chosen inside the CA's window.
    AriWindow,
    /// A third of the lifetime is left (no usable window).
    LifetimeThirdLeft,
    /// The order failed; the next try waits for the backoff.
    Backoff,
    /// No certificate of this spec is served yet (never issued, or its installation failed).
    NotServed,
}

/// What to do about a certificate now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Order a new certificate now.
    Now(Reason),
    /// Nothing yet; renewal falls due at `at`.
    Later {
        /// When it falls due.
        at: DateTime<Utc>,
        /// Why then.
        reason: Reason,
    },
}

impl Decision {
    /// Whether to order now.
    pub fn is_now(&self) -> bool {
        matches!(self, Self::Now(_))
    }
}

/// When a certificate valid from `not_before` to `not_after` is to be renewed, seen at `now`.
///
/// `ari` is the CA's last suggested window, if the CA has ARI; `fraction` (0 to 1) picks the point inside it and
/// should be drawn once per window (or derived from the certificate) so that checks agree with each other.
/// `last_failure` is the last failed order since the certificate was issued: the renewal then waits for
/// [`retry_at`] even when it is otherwise due.
pub fn renewal_due(
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    ari: Option<Window>,
    fraction: f64,
    last_failure: Option<Failure>,
) -> Decision {
    let (at, reason) = if now >= not_after {
        (now, Reason::Expired)
    } else {
        match ari.filter(Window::is_valid) {
            Some(window) if window.end <= now => (now, Reason::AriWindowPassed),
            Some(window) if window.start <= now => (now, Reason::AriWindowStarted),
            Some(window) => (window.at(fraction), Reason::AriWindow),
            None => {
                let lifetime = (not_after - not_before).max(TimeDelta::zero());
                (not_after - lifetime / 3, Reason::LifetimeThirdLeft)
            }
        }
    };
    let (at, reason) = match last_failure.map(|failure| retry_at(failure, Some(not_after))) {
        Some(retry) if retry > at && retry > now => (retry, Reason::Backoff),
        _ => (at, reason),
    };
    if at <= now { Decision::Now(reason) } else { Decision::Later { at, reason } }
}

/// When to try again after `failure`: [`BACKOFF_BASE`] doubled for each failure in a row before it, at most
/// [`BACKOFF_CAP`], and never later than [`EXPIRY_MARGIN`] before `not_after` (but at least an hour after the
/// failure, so a certificate close to expiry is retried hourly rather than at every check).
pub fn retry_at(failure: Failure, not_after: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let doublings = failure.attempt.saturating_sub(1).min(16);
    let backoff = (BACKOFF_BASE * 2_i32.pow(doublings)).min(BACKOFF_CAP);
    let retry = failure.at + backoff;
    match not_after {
        Some(not_after) => retry.min((not_after - EXPIRY_MARGIN).max(failure.at + BACKOFF_BASE)),
        None => retry,
    }
}

/// The renewal of a certificate as its events leave it.
impl Certificate {
    /// When to order again, seen at `now`; None while an order is under way, and for a certificate never
    /// requested or deleted. A certificate not served yet (never issued, or its installation failed) is ordered
    /// at once, or after the backoff of its last failure; a served one follows [`renewal_due`] with the CA's
    /// window. `fraction` picks the point inside the window (see [`renewal_due`]).
    pub fn next_renewal(&self, now: DateTime<Utc>, fraction: f64) -> Option<Decision> {
        if self.status.is_ordering() || matches!(self.status, CertificateStatus::New | CertificateStatus::Deleted) {
            return None;
        }
        let served = self.current.as_ref().filter(|c| self.installed_serial.as_ref() == Some(&c.serial));
        if let Some(c) = served {
            let window = self.window.map(|(window, _)| window);
            return Some(renewal_due(now, c.not_before, c.not_after, window, fraction, self.last_failure));
        }
        let retry = self.last_failure.map(|failure| retry_at(failure, self.current.as_ref().map(|c| c.not_after)));
        Some(match retry {
            Some(at) if at > now => Decision::Later { at, reason: Reason::Backoff },
            _ => Decision::Now(Reason::NotServed),
        })
    }

    /// Whether the CA's window is to be fetched (again): the last certificate issued is the one served, and
    /// either no window was fetched for it or its Retry-After has passed.
    pub fn window_due(&self, now: DateTime<Utc>) -> bool {
        let served = self.current.as_ref().is_some_and(|c| self.installed_serial.as_ref() == Some(&c.serial));
        served
            && !matches!(self.status, CertificateStatus::Deleted)
            && self.window.is_none_or(|(_, retry_after)| retry_after <= now)
    }
}
