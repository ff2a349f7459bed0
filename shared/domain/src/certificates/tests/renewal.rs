//! When to renew: the CA's window first (at once when it has started or moved into the past), else a third of
//! the lifetime, and an exponential backoff after failures that never runs past the expiry.

use chrono::{DateTime, TimeDelta, Utc};

use super::certificate::{failed_event, issued, renew, renewal, requested, served};
use super::now;
use crate::certificates::*;
use crate::testing::given;

fn day(n: i64) -> DateTime<Utc> {
    now() + TimeDelta::days(n)
}

fn hours(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}

/// A 90-day certificate issued at day 0, seen at `at`, without failures.
fn ninety_days(at: DateTime<Utc>, ari: Option<Window>, fraction: f64) -> Decision {
    renewal_due(at, day(0), day(90), ari, fraction, None)
}

#[test]
fn renewal_is_due_when_a_third_of_the_lifetime_is_left() {
    assert_eq!(ninety_days(day(60), None, 0.5), Decision::Now(Reason::LifetimeThirdLeft));
    assert_eq!(ninety_days(day(75), None, 0.5), Decision::Now(Reason::LifetimeThirdLeft));
    assert!(ninety_days(day(61), None, 0.5).is_now());
}

#[test]
fn renewal_is_not_due_before_that_and_says_when_it_will_be() {
    assert_eq!(ninety_days(day(30), None, 0.5), Decision::Later { at: day(60), reason: Reason::LifetimeThirdLeft });
    assert!(!ninety_days(day(60) - TimeDelta::seconds(1), None, 0.5).is_now());
}

#[test]
fn an_ari_window_is_honoured_at_the_chosen_point_inside_it() {
    let window = Window { start: day(55), end: day(57) };
    assert_eq!(ninety_days(day(30), Some(window), 0.5), Decision::Later { at: day(56), reason: Reason::AriWindow });
    assert_eq!(ninety_days(day(30), Some(window), 0.0), Decision::Later { at: day(55), reason: Reason::AriWindow });
    assert!(!ninety_days(day(30), Some(window), 0.25).is_now());
    let late = Window { start: day(65), end: day(67) };
    assert_eq!(
        ninety_days(day(62), Some(late), 0.5),
        Decision::Later { at: day(66), reason: Reason::AriWindow },
        "the CA's window wins over the lifetime rule, which would renew now"
    );
    assert_eq!(window.at(f64::NAN), day(55), "a fraction that is no number picks the start");
    assert_eq!(window.at(7.0), day(57), "a fraction past 1 picks the end");
}

#[test]
fn a_window_moved_into_the_past_means_renew_now() {
    let revoked = Window { start: day(-2), end: day(-1) };
    assert_eq!(ninety_days(day(10), Some(revoked), 0.5), Decision::Now(Reason::AriWindowPassed));
}

#[test]
fn a_window_that_has_started_means_renew_now_even_before_the_lifetime_rule_and_the_chosen_point() {
    // "ARI suggestedWindow has started, but cert not renewed": day 20 is far from a third left, and the point
    // chosen inside the window is still ahead, but the window has started.
    let started = Window { start: day(19), end: day(21) };
    assert_eq!(ninety_days(day(20), Some(started), 0.99), Decision::Now(Reason::AriWindowStarted));
    assert_eq!(ninety_days(day(19), Some(started), 0.99), Decision::Now(Reason::AriWindowStarted), "its first instant");
}

#[test]
fn an_invalid_window_is_ignored_and_the_lifetime_rule_applies() {
    let inverted = Window { start: day(21), end: day(19) };
    assert_eq!(
        ninety_days(day(20), Some(inverted), 0.5),
        Decision::Later { at: day(60), reason: Reason::LifetimeThirdLeft }
    );
}

#[test]
fn short_lived_six_day_certificates_renew_with_two_days_left() {
    let six_days = |at| renewal_due(at, day(0), day(6), None, 0.5, None);
    assert_eq!(six_days(day(1)), Decision::Later { at: day(4), reason: Reason::LifetimeThirdLeft });
    assert_eq!(six_days(day(4)), Decision::Now(Reason::LifetimeThirdLeft));
    // Let's Encrypt's shortlived profile: 160 hours, renewed with 53 h 20 min left.
    let shortlived = |at| renewal_due(at, day(0), day(0) + hours(160), None, 0.5, None);
    let due = day(0) + hours(160) - TimeDelta::minutes(160 * 60 / 3);
    assert_eq!(shortlived(day(1)), Decision::Later { at: due, reason: Reason::LifetimeThirdLeft });
}

#[test]
fn an_expired_certificate_is_renewed_now_whatever_the_window_says() {
    let future = Window { start: day(100), end: day(101) };
    assert_eq!(ninety_days(day(90), Some(future), 0.5), Decision::Now(Reason::Expired));
}

#[test]
fn failures_back_off_from_an_hour_doubling_up_to_a_day() {
    let waits: Vec<TimeDelta> = (1..=8).map(|attempt| retry_at(Failure { at: now(), attempt }, None) - now()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 24, 24, 24].map(hours));
    assert_eq!(retry_at(Failure { at: now(), attempt: u32::MAX }, Some(day(90))), now() + BACKOFF_CAP);
}

#[test]
fn the_backoff_never_runs_past_the_expiry_minus_a_margin_and_then_retries_hourly() {
    let not_after = now() + hours(20);
    assert_eq!(retry_at(Failure { at: now(), attempt: 6 }, Some(not_after)), not_after - EXPIRY_MARGIN);
    let inside_margin = not_after - hours(3);
    assert_eq!(retry_at(Failure { at: inside_margin, attempt: 9 }, Some(not_after)), inside_margin + BACKOFF_BASE);
}

#[test]
fn a_failure_defers_a_due_renewal_until_its_backoff_is_over() {
    let failure = Failure { at: day(61), attempt: 3 };
    let due = |at| renewal_due(at, day(0), day(90), None, 0.5, Some(failure));
    assert_eq!(due(day(61) + hours(1)), Decision::Later { at: day(61) + hours(4), reason: Reason::Backoff });
    assert_eq!(due(day(61) + hours(4)), Decision::Now(Reason::LifetimeThirdLeft));
    let started = Window { start: day(60), end: day(62) };
    let with_window = renewal_due(day(61) + hours(1), day(0), day(90), Some(started), 0.5, Some(failure));
    assert_eq!(
        with_window,
        Decision::Later { at: day(61) + hours(4), reason: Reason::Backoff },
        "the CA is not hammered"
    );
    let early = Failure { at: day(10), attempt: 1 };
    assert_eq!(
        renewal_due(day(20), day(0), day(90), None, 0.5, Some(early)),
        Decision::Later { at: day(60), reason: Reason::LifetimeThirdLeft },
        "an old failure does not hold back a later renewal"
    );
}

#[test]
fn a_certificate_not_served_yet_is_ordered_again_after_its_backoff() {
    let (never, _) = crate::load::<Certificate>(&[]).unwrap();
    assert_eq!(never.next_renewal(now(), 0.5), None, "never requested");
    let first_failed = vec![requested(), failed_event(OrderStep::Account, 1, now())];
    let state = fold(&first_failed);
    assert_eq!(
        state.next_renewal(now(), 0.5),
        Some(Decision::Later { at: now() + BACKOFF_BASE, reason: Reason::Backoff })
    );
    assert_eq!(state.next_renewal(now() + BACKOFF_BASE, 0.5), Some(Decision::Now(Reason::NotServed)));
    let state = given::<Certificate>(first_failed).when(&renew(false), now()).then_expect([renewal(false)]);
    assert_eq!(state.next_renewal(now(), 0.5), None, "the new order is under way");
    let install_failed = fold(&[requested(), issued("0a1b"), failed_event(OrderStep::Install, 1, now())]);
    assert_eq!(
        install_failed.next_renewal(now() + BACKOFF_BASE, 0.5),
        Some(Decision::Now(Reason::NotServed)),
        "a fresh certificate that nginx never served is not left alone for 60 days"
    );
}

fn fold(events: &[CertificateEvent]) -> Certificate {
    events.iter().fold(Certificate::default(), crate::Aggregate::apply)
}

#[test]
fn the_renewal_window_is_for_the_current_certificate_and_drives_the_next_renewal() {
    let window = Window { start: now() + TimeDelta::days(59), end: now() + TimeDelta::days(61) };
    let fetch = |serial: &str, window: Window| CertificateCommand::RecordWindow {
        serial: serial.into(),
        window,
        retry_after: now() + TimeDelta::hours(6),
        explanation_url: None,
    };
    let fetched = CertificateEvent::CertificateRenewalWindowFetched {
        serial: "0a1b".into(),
        start: window.start,
        end: window.end,
        retry_after: now() + TimeDelta::hours(6),
        explanation_url: None,
    };
    assert!(
        given::<Certificate>(served())
            .when(&CertificateCommand::Delete, now())
            .then_expect([CertificateEvent::CertificateDeleted {}])
            .window
            .is_none()
    );
    let state = given::<Certificate>(served()).when(&fetch("0a1b", window), now()).then_expect([fetched.clone()]);
    assert!(!state.window_due(now()) && state.window_due(now() + TimeDelta::hours(6)));
    assert_eq!(
        state.next_renewal(now(), 0.5),
        Some(Decision::Later { at: now() + TimeDelta::days(60), reason: Reason::AriWindow })
    );
    given::<Certificate>([served(), vec![fetched]].concat()).when(&fetch("0a1b", window), now()).then_expect([]);
    given::<Certificate>([requested()])
        .when(&fetch("0a1b", window), now())
        .then_reject(|r| *r == CertificateRejection::NotIssued);
    given::<Certificate>(served())
        .when(&fetch("0c0d", window), now())
        .then_reject(|r| r.message() == messages::serial_mismatch("0a1b", "0c0d"));
    let inverted = Window { start: window.end, end: window.start };
    given::<Certificate>(served())
        .when(&fetch("0a1b", inverted), now())
        .then_reject(|r| *r == CertificateRejection::WindowInverted);
}
