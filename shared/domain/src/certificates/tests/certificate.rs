//! The certificate aggregate: a request once, one order at a time, the worker's facts for the order under way
//! and the certificate it issued, nothing after a deletion, never a private key.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::{now, spec};
use crate::certificates::*;
use crate::{Aggregate as _, DomainEvent as _, Message, testing::given};

const FINGERPRINT: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub(super) fn requested() -> CertificateEvent {
    let spec = spec();
    CertificateEvent::CertificateRequested { certificate_id: Uuid::from_u128(1), host: spec.host.clone(), spec }
}

pub(super) fn issuance(serial: &str, not_before: DateTime<Utc>) -> Issuance {
    Issuance {
        serial: serial.into(),
        not_before,
        not_after: not_before + TimeDelta::days(90),
        issuer: "CN=R12,O=Let's Encrypt,C=US".into(),
        sha256_fingerprint: FINGERPRINT.into(),
        order_url: "https://acme-v02.api.letsencrypt.org/acme/order/1/2".into(),
        ari_replaces: None,
    }
}

pub(super) fn issued(serial: &str) -> CertificateEvent {
    CertificateEvent::CertificateIssued { issuance: issuance(serial, now()), replaced_serial: None }
}

pub(super) fn installation(serial: &str) -> Installation {
    Installation {
        serial: serial.into(),
        certificate_path: "/var/lib/lawha/certs/example.com/fullchain.pem".into(),
        key_path: "/var/lib/lawha/certs/example.com/key.pem".into(),
        nginx_reloaded: true,
    }
}

pub(super) fn installed(serial: &str) -> CertificateEvent {
    CertificateEvent::CertificateInstalled(installation(serial))
}

/// A certificate issued and served.
pub(super) fn served() -> Vec<CertificateEvent> {
    vec![requested(), issued("0a1b"), installed("0a1b")]
}

pub(super) fn renew(force: bool) -> CertificateCommand {
    CertificateCommand::Renew { trigger: RenewalTrigger::Manual { actor: "amira".into() }, force }
}

pub(super) fn renewal(forced: bool) -> CertificateEvent {
    CertificateEvent::CertificateRenewalRequested {
        certificate_id: Uuid::from_u128(1),
        host: spec().host,
        trigger: RenewalTrigger::Manual { actor: "amira".into() },
        forced,
    }
}

fn fail(step: OrderStep) -> CertificateCommand {
    CertificateCommand::RecordFailure { step, reason: Message::text("urn:ietf:params:acme:error:connection") }
}

#[test]
fn a_valid_certificate_is_requested_once_and_its_first_order_is_under_way() {
    let ask = |spec| CertificateCommand::Request { certificate_id: Uuid::from_u128(1), spec };
    let state = given::<Certificate>([]).when(&ask(spec()), now()).then_expect([requested()]);
    assert_eq!(state.status, CertificateStatus::Ordering);
    assert_eq!(state.next_renewal(now(), 0.5), None, "an order is under way");
    given::<Certificate>([requested()])
        .when(&ask(spec()), now())
        .then_reject(|r| *r == CertificateRejection::AlreadyExists);
    let bad = CertificateSpec { names: vec!["*.example.com".into(), "1.2.3.4".into()], ..spec() };
    given::<Certificate>([])
        .when(&ask(bad), now())
        .then_reject(|r| r.field_problems().len() == 2 && r.message().code == "certificates.certificate_invalid");
    assert_eq!(Certificate::stream(Uuid::from_u128(1)).as_str(), format!("certificate-{}", Uuid::from_u128(1)));
}

#[test]
fn nothing_but_a_request_on_a_new_certificate_and_nothing_on_a_deleted_one() {
    for command in [renew(false), CertificateCommand::Delete, fail(OrderStep::Order)] {
        given::<Certificate>([]).when(&command, now()).then_reject(|r| *r == CertificateRejection::NotFound);
    }
    let deleted = given::<Certificate>(served()).when(&CertificateCommand::Delete, now());
    let state = deleted.then_expect([CertificateEvent::CertificateDeleted {}]);
    assert_eq!((state.next_renewal(now(), 0.5), state.window_due(now())), (None, false));
    let mut past = served();
    past.push(CertificateEvent::CertificateDeleted {});
    for command in [renew(true), CertificateCommand::Delete, CertificateCommand::RecordInstalled(installation("0a1b"))]
    {
        given::<Certificate>(past.clone())
            .when(&command, now())
            .then_reject(|r| *r == CertificateRejection::Deleted && r.message() == messages::certificate_deleted());
    }
}

#[test]
fn an_order_issues_then_installs_and_a_renewal_names_the_certificate_it_replaces() {
    let state = given::<Certificate>([requested()])
        .when(&CertificateCommand::RecordIssued(issuance("0a1b", now())), now())
        .then_expect([issued("0a1b")]);
    assert_eq!(state.status, CertificateStatus::Issued);
    let state = given::<Certificate>([requested(), issued("0a1b")])
        .when(&CertificateCommand::RecordInstalled(installation("0a1b")), now())
        .then_expect([installed("0a1b")]);
    assert_eq!((state.status, state.installed_serial.as_deref()), (CertificateStatus::Installed, Some("0a1b")));
    let mut past = served();
    past.push(renewal(false));
    let mut next = issuance("0c0d", now() + TimeDelta::days(60));
    next.ari_replaces = Some("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".into());
    given::<Certificate>(past)
        .when(&CertificateCommand::RecordIssued(next.clone()), now())
        .then_expect([CertificateEvent::CertificateIssued { issuance: next, replaced_serial: Some("0a1b".into()) }]);
}

#[test]
fn a_renewal_waits_for_the_order_under_way_unless_forced() {
    let state = given::<Certificate>(served()).when(&renew(false), now()).then_expect([renewal(false)]);
    assert_eq!(state.status, CertificateStatus::Ordering);
    for past in [vec![requested()], vec![requested(), issued("0a1b")], [served(), vec![renewal(false)]].concat()] {
        given::<Certificate>(past.clone())
            .when(&renew(false), now())
            .then_reject(|r| *r == CertificateRejection::OrderUnderWay && r.message() == messages::order_under_way());
        given::<Certificate>(past).when(&renew(true), now()).then_expect([renewal(true)]);
    }
}

#[test]
fn an_issued_certificate_must_end_after_it_starts_and_have_sane_shapes() {
    let record = |issuance| CertificateCommand::RecordIssued(issuance);
    let mut inverted = issuance("0a1b", now());
    inverted.not_after = inverted.not_before;
    given::<Certificate>([requested()])
        .when(&record(inverted), now())
        .then_reject(|r| *r == CertificateRejection::ValidityInverted);
    type Breaking = fn(&mut Issuance);
    let broken: [(&str, Breaking); 5] = [
        ("serial", |i| i.serial = "0A1B".into()),
        ("sha256_fingerprint", |i| i.sha256_fingerprint = "abc".into()),
        ("issuer", |i| i.issuer = " ".into()),
        ("order_url", |i| i.order_url = "urn:order".into()),
        ("ari_replaces", |i| i.ari_replaces = Some("a\nb".into())),
    ];
    for (field, breaking) in broken {
        let mut bad = issuance("0a1b", now());
        breaking(&mut bad);
        given::<Certificate>([requested()]).when(&record(bad), now()).then_reject(|r| {
            *r == CertificateRejection::FactInvalid(field) && r.message() == messages::fact_invalid(field)
        });
    }
    given::<Certificate>(served())
        .when(&record(issuance("0c0d", now())), now())
        .then_reject(|r| *r == CertificateRejection::NoOrderUnderWay);
}

#[test]
fn the_worker_recording_a_fact_again_records_nothing() {
    let past = vec![requested(), issued("0a1b")];
    given::<Certificate>(past.clone())
        .when(&CertificateCommand::RecordIssued(issuance("0a1b", now())), now())
        .then_expect([]);
    given::<Certificate>(served())
        .when(&CertificateCommand::RecordInstalled(installation("0a1b")), now())
        .then_expect([]);
    let failed = given::<Certificate>(past.clone()).when(&fail(OrderStep::Install), now()).then_expect([
        CertificateEvent::CertificateOrderFailed {
            step: OrderStep::Install,
            reason: Message::text("urn:ietf:params:acme:error:connection"),
            attempt: 1,
            failed_at: now(),
            next_retry_at: now() + BACKOFF_BASE,
        },
    ]);
    assert_eq!(failed.status, CertificateStatus::Failed);
    let mut again = past;
    again.push(failed_event(OrderStep::Install, 1, now()));
    given::<Certificate>(again).when(&fail(OrderStep::Install), now() + TimeDelta::minutes(5)).then_expect([]);
}

pub(super) fn failed_event(step: OrderStep, attempt: u32, at: DateTime<Utc>) -> CertificateEvent {
    let next_retry_at = retry_at(Failure { at, attempt }, None);
    CertificateEvent::CertificateOrderFailed {
        step,
        reason: Message::text("urn:ietf:params:acme:error:connection"),
        attempt,
        failed_at: at,
        next_retry_at,
    }
}

#[test]
fn failures_in_a_row_are_counted_and_back_off_until_an_installation() {
    let mut past = served();
    past.extend([renewal(false), failed_event(OrderStep::Challenge, 1, now()), renewal(false)]);
    let later = now() + TimeDelta::hours(2);
    let state = given::<Certificate>(past.clone()).when(&fail(OrderStep::Finalize), later).then_expect([
        CertificateEvent::CertificateOrderFailed {
            step: OrderStep::Finalize,
            reason: Message::text("urn:ietf:params:acme:error:connection"),
            attempt: 2,
            failed_at: later,
            next_retry_at: later + TimeDelta::hours(2),
        },
    ]);
    assert_eq!(state.last_error.as_ref().map(|(step, _)| *step), Some(OrderStep::Finalize));
    assert_eq!(
        state.next_renewal(later, 0.5),
        Some(Decision::Later { at: now() + TimeDelta::days(60), reason: Reason::LifetimeThirdLeft }),
        "a renewal by hand that failed leaves a certificate that is not due alone"
    );
    given::<Certificate>(served())
        .when(&fail(OrderStep::Order), now())
        .then_reject(|r| *r == CertificateRejection::NoOrderUnderWay);
    past.extend([issued("0c0d"), installed("0c0d")]);
    let state = given::<Certificate>(past)
        .when(&CertificateCommand::Delete, now())
        .then_expect([CertificateEvent::CertificateDeleted {}]);
    assert_eq!((state.last_failure, state.last_error), (None, None), "an installation ends the run of failures");
}

#[test]
fn an_installation_is_of_the_certificate_issued_at_absolute_paths() {
    let past = vec![requested(), issued("0a1b")];
    let install = |i| CertificateCommand::RecordInstalled(i);
    given::<Certificate>(past.clone())
        .when(&install(installation("0c0d")), now())
        .then_reject(|r| matches!(r, CertificateRejection::SerialMismatch { .. }));
    let relative = Installation { key_path: "certs/key.pem".into(), ..installation("0a1b") };
    given::<Certificate>(past)
        .when(&install(relative), now())
        .then_reject(|r| *r == CertificateRejection::FactInvalid("key_path"));
    given::<Certificate>([requested()])
        .when(&install(installation("0a1b")), now())
        .then_reject(|r| *r == CertificateRejection::NotIssued);
}

#[test]
fn no_fact_carries_a_private_key() {
    let mut events = served();
    events.extend([
        renewal(true),
        failed_event(OrderStep::Download, 1, now()),
        CertificateEvent::CertificateDeleted {},
    ]);
    for event in events {
        let new = event.to_new_event(crate::Metadata::default());
        let json = new.data.to_string();
        assert!(!json.contains("PRIVATE KEY") && !json.contains("\"key\""), "{} carries a key: {json}", new.event_type);
        assert_eq!(new.event_type, event.type_name());
        assert_eq!(new.schema_version, 1);
    }
    let job = Uuid::from_u128(9);
    assert_eq!(issued("0a1b").event_id(job), issued("0c0d").event_id(job), "one issuance per job");
    assert_eq!(
        installed("0a1b").event_id(job),
        failed_event(OrderStep::Install, 1, now()).event_id(job),
        "an order ends once"
    );
}
