//! The cert worker's metrics, each labelled `name` with the certificate's first name:
//! `lawha_certificate_expiry_seconds` (seconds until the served certificate's `not_after`; set after each
//! installation and by every renewal check), `lawha_certificate_renewal_failures_total` (one per recorded failed
//! order) and `lawha_certificate_failures_in_a_row` (0 after an installation).

use chrono::{DateTime, Utc};

/// The expiry gauge.
pub const EXPIRY: &str = "lawha_certificate_expiry_seconds";
/// The failure counter.
pub const FAILURES: &str = "lawha_certificate_renewal_failures_total";
/// The failures-in-a-row gauge.
pub const FAILURES_IN_A_ROW: &str = "lawha_certificate_failures_in_a_row";

/// Sets the expiry gauge of `name` to the seconds from `now` to `not_after` (negative once expired).
pub fn expiry(name: &str, not_after: DateTime<Utc>, now: DateTime<Utc>) {
    // Seconds fit an f64 exactly for any date a certificate holds.
    #[allow(clippy::cast_precision_loss)]
    let seconds = (not_after - now).num_seconds() as f64;
    metrics::gauge!(EXPIRY, "name" => name.to_owned()).set(seconds);
}

/// Counts a failed order of `name`, the `attempt`-th in a row.
pub fn failure(name: &str, attempt: u32) {
    metrics::counter!(FAILURES, "name" => name.to_owned()).increment(1);
    metrics::gauge!(FAILURES_IN_A_ROW, "name" => name.to_owned()).set(f64::from(attempt));
}

/// An installation of `name`: no failure in a row any more.
pub fn installed(name: &str) {
    metrics::gauge!(FAILURES_IN_A_ROW, "name" => name.to_owned()).set(0.0);
}
