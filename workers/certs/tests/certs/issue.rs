//! Orders that succeed: HTTP-01 through the real nginx for two names, DNS-01 through a hook that talks to
//! pebble-challtestsrv, and a job redelivered after the worker died between the issuance and the installation.

use std::{
    os::unix::fs::PermissionsExt as _,
    time::{Duration, Instant},
};

use lawha_domain::certificates::{CertificateEvent, CertificateStatus, Challenge};

use crate::support::world::{World, served_serial};

#[tokio::test]
async fn http01_issues_one_certificate_for_two_names_and_nginx_serves_it() {
    let world = World::new("local").await;
    let (id, job) = world.request(world.spec(&["a.test", "b.test"], Challenge::Http01)).await;

    let started = Instant::now();
    let output = world.run(&job).await.unwrap_or_else(|e| panic!("the order failed: {e}\n{}", world.pebble.log()));
    println!("issue-and-install wall time: {} ms", started.elapsed().as_millis());

    assert_eq!(output["outcome"], "installed", "{output}");
    let facts = world.facts(id).await;
    let types: Vec<&str> = facts.iter().map(CertificateEvent::type_name).collect();
    assert_eq!(types, ["CertificateRequested", "CertificateIssued", "CertificateInstalled"]);
    let certificate = world.certificate(id).await;
    assert_eq!(certificate.status, CertificateStatus::Installed);
    let serial = certificate.current.unwrap().serial;
    let key = world.cert_dir(id).join("privkey.pem");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(!world.cert_dir(id).join("pending").exists(), "the stage is removed after the installation");
    let answers = world.path().join("webroot/.well-known/acme-challenge");
    assert_eq!(std::fs::read_dir(answers).map(Iterator::count).unwrap_or(0), 0, "every HTTP-01 answer is removed");
    let port = world.serve(id, "b.test");
    assert_eq!(served_serial(port, "b.test"), serial);
}

#[tokio::test]
async fn dns01_issues_a_wildcard_through_the_hook_and_clears_the_records() {
    let world = World::new("local").await;
    let calls = world.path().join("hook-calls");
    let hook = world.path().join("hook.sh");
    let script = format!(
        "#!/bin/sh\necho \"$1 $2\" >> {calls}\ncase \"$1\" in\n\
         set) curl -sf -X POST -d \"{{\\\"host\\\":\\\"_acme-challenge.$2.\\\",\\\"value\\\":\\\"$3\\\"}}\" {m}/set-txt ;;\n\
         clear) curl -sf -X POST -d \"{{\\\"host\\\":\\\"_acme-challenge.$2.\\\"}}\" {m}/clear-txt ;;\nesac\n",
        calls = calls.display(),
        m = world.pebble.challtestsrv
    );
    std::fs::write(&hook, script).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let challenge = Challenge::Dns01 { hook: hook.display().to_string() };
    let (id, job) = world.request(world.spec(&["d.test", "*.d.test"], challenge)).await;

    let output = world.run(&job).await.unwrap_or_else(|e| panic!("the order failed: {e}\n{}", world.pebble.log()));

    assert_eq!(output["outcome"], "installed", "{output}");
    let calls = std::fs::read_to_string(calls).unwrap();
    let sets = calls.lines().filter(|l| *l == "set d.test").count();
    let clears = calls.lines().filter(|l| *l == "clear d.test").count();
    assert!(sets >= 1 && sets == clears, "every record set is cleared: {calls}");
    assert_eq!(world.certificate(id).await.status, CertificateStatus::Installed);
}

#[tokio::test]
async fn a_job_redelivered_after_the_issuance_installs_the_staged_certificate_without_ordering_again() {
    let world = World::new("local").await;
    let (id, job) = world.request(world.spec(&["k.test"], Challenge::Http01)).await;
    // The first worker hangs in nginx's test and dies there, after the issuance was recorded.
    let mut hanging = world.deps.clone();
    hanging.installer.nginx_test = vec!["sleep".into(), "30".into()];
    let first = {
        let (db, job) = (world.db.db.clone(), job.clone());
        tokio::spawn(async move {
            let ctx = lawha_jobs::testkit::job_context(&db, job, "certs-test-1");
            lawha_jobs::runtime::Handler::run(&lawha_cert_worker::Issue(hanging), &ctx).await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.certificate(id).await.status != CertificateStatus::Issued {
        assert!(
            Instant::now() < deadline,
            "the first attempt never recorded the issuance: {:?}",
            world.facts(id).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.abort();
    let _ = first.await;
    assert!(world.cert_dir(id).join("pending/privkey.pem").exists(), "the issued pair is staged");

    let output = world.run(&job).await.expect("the redelivered job installs");

    assert_eq!(output["outcome"], "installed", "{output}");
    let types: Vec<&str> = world.facts(id).await.iter().map(CertificateEvent::type_name).collect();
    assert_eq!(
        types,
        ["CertificateRequested", "CertificateIssued", "CertificateInstalled"],
        "one order, one installation"
    );
    let serial = world.certificate(id).await.current.unwrap().serial;
    let port = world.serve(id, "k.test");
    assert_eq!(served_serial(port, "k.test"), serial);
}

#[tokio::test]
async fn the_engine_alone_orders_a_certificate_for_one_name_within_seconds() {
    let world = World::new("local").await;
    let spec = world.spec(&["bench.test"], Challenge::Http01);
    // The first order registers the account; the second is what a renewal costs.
    world.deps.acme.order(&spec, None).await.unwrap_or_else(|e| panic!("{e}\n{}", world.pebble.log()));

    let started = Instant::now();
    let issued = world.deps.acme.order(&spec, None).await.unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();

    println!("engine order wall time (known account, one name): {} ms", elapsed.as_millis());
    assert!(issued.chain_pem.contains("BEGIN CERTIFICATE") && issued.key_pem.contains("PRIVATE KEY"));
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn a_ca_that_forgot_the_kept_account_gets_a_new_one() {
    let mut world = World::new("local").await;
    let spec = world.spec(&["again.test"], Challenge::Http01);
    world.deps.acme.order(&spec, None).await.unwrap_or_else(|e| panic!("{e}\n{}", world.pebble.log()));

    world.pebble.restart();
    let issued = world.deps.acme.order(&spec, None).await;

    assert!(issued.is_ok(), "{issued:?}\n{}", world.pebble.log());
}
