//! The CA's renewal window (ARI) through [`AriProxy`]: a window in the future is recorded and renewal waits for
//! the point chosen in it; a window moved into the past renews at once, and the new order names the replaced
//! certificate in `replaces`.

use chrono::{TimeDelta, Utc};
use lawha_cert_worker::{check_once, engine::x509};
use lawha_domain::certificates::{CertificateEvent, Challenge, Decision, Directory, Reason, RenewalTrigger};

use crate::support::{ari_proxy::AriProxy, world::World};

#[tokio::test]
async fn a_window_moved_into_the_past_renews_at_once_naming_the_replaced_certificate() {
    let world = World::new("local").await;
    let now = Utc::now();
    let proxy = AriProxy::start(&world, (now + TimeDelta::days(30), now + TimeDelta::days(31))).await;
    let mut spec = world.spec(&["ari.test"], Challenge::Http01);
    spec.directory =
        Directory::Custom { url: proxy.directory.clone(), trusted_root: Some(world.pebble.root.display().to_string()) };
    let (id, job) = world.request(spec).await;
    world.run(&job).await.unwrap_or_else(|e| panic!("the order failed: {e}\n{}", world.pebble.log()));
    let first = world.certificate(id).await.current.unwrap();
    let chain = std::fs::read_to_string(world.cert_dir(id).join("fullchain.pem")).unwrap();
    let ari_id = x509::leaf(&chain).unwrap().ari_id.expect("pebble's certificates have an AKI");

    let decisions = check_once(&world.deps, "local", now).await;
    let [(_, Decision::Later { at, reason: Reason::AriWindow })] = decisions.as_slice() else {
        panic!("{decisions:?}");
    };
    assert!(*at >= now + TimeDelta::days(30) && *at <= now + TimeDelta::days(31), "{at}");
    assert_eq!(proxy.seen.lock().unwrap().asked, std::slice::from_ref(&ari_id));
    assert!(
        world.facts(id).await.iter().any(|f| matches!(f, CertificateEvent::CertificateRenewalWindowFetched { .. }))
    );

    // The CA moves the window into the past; the check asks again once the Retry-After (an hour) has passed.
    proxy.set_window((now - TimeDelta::days(2), now - TimeDelta::days(1)));
    let later = now + TimeDelta::hours(2);
    let decisions = check_once(&world.deps, "local", later).await;
    assert_eq!(decisions, [(id, Decision::Now(Reason::AriWindowPassed))]);
    let Some(CertificateEvent::CertificateRenewalRequested { trigger, .. }) = world.facts(id).await.pop() else {
        panic!("no renewal asked");
    };
    assert_eq!(trigger, RenewalTrigger::AriWindow);

    let output = world.run(&world.last_job(id).await).await.unwrap_or_else(|e| panic!("the renewal failed: {e}"));

    assert_eq!(output["outcome"], "installed", "{output}");
    let second = world.certificate(id).await.current.unwrap();
    assert_ne!(second.serial, first.serial);
    assert_eq!(second.ari_replaces.as_deref(), Some(ari_id.as_str()));
    assert_eq!(proxy.seen.lock().unwrap().replaces.last().cloned().flatten(), Some(ari_id));
}
