//! Orders that fail: the failure is recorded with its step and reason, counted in the metrics, and the job ends
//! for good (the certificate's backoff decides the next try).

use lawha_domain::certificates::{CertificateEvent, CertificateStatus, Challenge, KeyType, OrderStep};
use lawha_jobs::runtime::JobError;

use crate::support::world::World;

#[tokio::test]
async fn a_failing_dns_hook_records_the_failed_order_and_counts_it() {
    lawha_telemetry::metrics();
    let world = World::new("local").await;
    let challenge = Challenge::Dns01 { hook: "echo 'no such zone' >&2; exit 3; :".into() };
    let (id, job) = world.request(world.spec(&["fail.test"], challenge)).await;

    let outcome = world.run(&job).await;

    assert!(matches!(outcome, Err(JobError::Permanent(_))), "{outcome:?}");
    let facts = world.facts(id).await;
    let Some(CertificateEvent::CertificateOrderFailed { step, reason, attempt, .. }) = facts.last() else {
        panic!("no failure recorded: {facts:?}");
    };
    assert_eq!((*step, *attempt), (OrderStep::Challenge, 1));
    assert_eq!(reason.code, "certs.hook_failed");
    assert!(reason.to_string().contains("no such zone"), "{reason}");
    assert_eq!(world.certificate(id).await.status, CertificateStatus::Failed);
    let metrics = lawha_telemetry::render_metrics();
    assert!(
        metrics.lines().any(|l| l.starts_with("lawha_certificate_renewal_failures_total{name=\"fail.test\"}")),
        "{metrics}"
    );
    assert!(metrics.contains("lawha_certificate_failures_in_a_row{name=\"fail.test\"} 1"), "{metrics}");
}

#[tokio::test]
async fn an_rsa_key_is_refused_with_a_message_saying_why() {
    let world = World::new("local").await;
    let mut spec = world.spec(&["rsa.test"], Challenge::Http01);
    spec.key_type = KeyType::Rsa2048;
    let (id, job) = world.request(spec).await;

    assert!(world.run(&job).await.is_err());

    let facts = world.facts(id).await;
    let Some(CertificateEvent::CertificateOrderFailed { step, reason, .. }) = facts.last() else {
        panic!("no failure recorded: {facts:?}");
    };
    assert_eq!((*step, reason.code.as_str()), (OrderStep::Finalize, "certs.rsa_unsupported"));
}

#[tokio::test]
async fn a_challenge_the_ca_cannot_verify_fails_at_the_challenge_step_for_good() {
    let world = World::new("local").await;
    let mut acme = world.deps.acme.clone();
    // The answers go where nginx does not serve them: pebble gets a 404.
    acme.answering.webroot = world.path().join("not-served");

    let error = acme.order(&world.spec(&["nope.test"], Challenge::Http01), None).await.unwrap_err();

    assert_eq!((error.step, error.retryable), (OrderStep::Challenge, false), "{error:?}");
    assert_eq!(error.reason.code, "certs.acme_problem");
    assert_eq!(error.reason.arg("kind").map(ToString::to_string).as_deref(), Some("unauthorized"), "{error:?}");
    let answers = world.path().join("not-served/.well-known/acme-challenge");
    assert_eq!(std::fs::read_dir(answers).unwrap().count(), 0, "the answer is removed after the failure");
}
