//! The renewal check: nothing is ordered before a third of the lifetime is left (pebble's certificates live five
//! years, so the check is run with a clock moved forward), then a renewal is asked for, and the renewed
//! certificate is served by nginx without a restart. The check of one host never touches another host's
//! certificates.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use lawha_cert_worker::check_once;
use lawha_domain::{
    Message,
    certificates::{CertificateCommand, CertificateEvent, Challenge, Decision, OrderStep, Reason, RenewalTrigger},
};

use crate::support::world::{World, served_serial};

#[tokio::test]
async fn renewal_waits_for_a_third_of_the_lifetime_then_nginx_serves_the_renewed_certificate() {
    lawha_telemetry::metrics();
    let world = World::new("local").await;
    let (id, job) = world.request(world.spec(&["r.test"], Challenge::Http01)).await;
    world.run(&job).await.unwrap_or_else(|e| panic!("the order failed: {e}\n{}", world.pebble.log()));
    let first = world.certificate(id).await.current.unwrap();
    let port = world.serve(id, "r.test");
    assert_eq!(served_serial(port, "r.test"), first.serial);

    let decisions = check_once(&world.deps, "local", Utc::now()).await;
    let third = first.not_after - (first.not_after - first.not_before) / 3;
    assert_eq!(decisions, [(id, Decision::Later { at: third, reason: Reason::LifetimeThirdLeft })]);
    assert_eq!(world.facts(id).await.len(), 3, "nothing is ordered before it is due");
    let metrics = lawha_telemetry::render_metrics();
    assert!(metrics.contains("lawha_certificate_expiry_seconds{name=\"r.test\"}"), "{metrics}");

    let later = third + TimeDelta::hours(1);
    let decisions = check_once(&world.deps, "local", later).await;
    assert_eq!(decisions, [(id, Decision::Now(Reason::LifetimeThirdLeft))]);
    let Some(CertificateEvent::CertificateRenewalRequested { trigger, forced, .. }) = world.facts(id).await.pop()
    else {
        panic!("no renewal asked");
    };
    assert_eq!((trigger, forced), (RenewalTrigger::Schedule, false));
    assert!(check_once(&world.deps, "local", later).await.is_empty(), "an order under way is not asked twice");

    let renewal = world.last_job(id).await;
    assert_eq!(renewal.kind, "RenewCertificate");
    let output = world.run(&renewal).await.unwrap_or_else(|e| panic!("the renewal failed: {e}"));

    assert_eq!(output["outcome"], "installed", "{output}");
    let second = world.certificate(id).await.current.unwrap();
    assert_ne!(second.serial, first.serial);
    // pebble 2.4 has no ARI: the order could not name the replaced certificate, and was made without it.
    assert_eq!(second.ari_replaces, None);
    assert!(world.cert_dir(id).join("fullchain.pem.previous").exists(), "the previous pair is kept");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let served = served_serial(port, "r.test");
        if served == second.serial {
            break;
        }
        assert!(Instant::now() < deadline, "nginx still serves {served}, not {}", second.serial);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_check_of_one_host_sees_only_that_hosts_certificates() {
    let world = World::new("web-1").await;
    let mut other = world.spec(&["o.test"], Challenge::Http01);
    other.host = "web-2".into();
    let (mine, _) = world.request(world.spec(&["m.test"], Challenge::Http01)).await;
    let (theirs, _) = world.request(other).await;
    for id in [mine, theirs] {
        let failure = CertificateCommand::RecordFailure { step: OrderStep::Order, reason: Message::text("test") };
        world.command(id, failure).await;
    }

    let web_1 = check_once(&world.deps, "web-1", Utc::now()).await;
    let web_2 = check_once(&world.deps, "web-2", Utc::now()).await;

    assert_eq!(web_1.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [mine]);
    assert_eq!(web_2.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [theirs]);
    assert!(matches!(web_1[0].1, Decision::Later { reason: Reason::Backoff, .. }), "{web_1:?}");
}
