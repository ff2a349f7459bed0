//! Real `lawha-cert-worker` processes: one killed in the middle of an order (after the CA issued, while nginx
//! is being tested) has its job redelivered to a second worker, which installs the staged certificate without
//! ordering again; and two workers of different hosts each run only their own host's orders.

use std::{
    os::unix::process::CommandExt as _,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use lawha_domain::certificates::{CertificateEvent, CertificateStatus, Challenge};
use lawha_jobs::queue::Outgoing;

use crate::support::world::{World, served_serial};

const BINARY: &str = env!("CARGO_BIN_EXE_lawha-cert-worker");

/// A worker process, killed with its group when dropped (a failing test leaves nothing running).
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

/// A worker process of `host` writing into `dir`, whose nginx test is `nginx_test`.
fn worker(world: &World, namespace: &str, (host, dir): (&str, &Path), nginx_test: &str) -> Worker {
    let child = Command::new(BINARY)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("LAWHA_ENV", "test")
        .env("LAWHA_DATA_DIR", world.path())
        .env("LAWHA_DATABASE_URL", &world.db.url)
        .env("LAWHA_REDIS_URL", lawha_jobs::testkit::redis_url())
        .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
        .env("LAWHA_JOBS__NAMESPACE", namespace)
        .env("LAWHA_LOG__LEVEL", "warn")
        .env("LAWHA_DEPLOYMENTS__HOST", host)
        .env("LAWHA_CERTIFICATES__DIR", dir)
        .env("LAWHA_CERTIFICATES__WEBROOT", &world.config.certificates.webroot)
        .env("LAWHA_DEPLOYMENTS__NGINX_TEST_COMMAND", nginx_test)
        .env("LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND", world.nginx_command(&["-s", "reload"]).join(" "))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the worker starts");
    Worker(child)
}

/// Waits up to `limit` for the certificate to reach `status`.
async fn until(world: &World, id: uuid::Uuid, status: CertificateStatus, limit: Duration) {
    let deadline = Instant::now() + limit;
    while world.certificate(id).await.status != status {
        assert!(Instant::now() < deadline, "never {status:?}: {:?}", world.facts(id).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_order_is_replaced_and_one_certificate_ends_installed() {
    let world = World::new("local").await;
    let (queues, namespace) = lawha_jobs::testkit::redis_queues().await;
    let (id, job) = world.request(world.spec(&["kill.test"], Challenge::Http01)).await;
    let local = ("local", world.config.certificates.dir.as_path());
    let first = worker(&world, &namespace, local, "sleep 60");
    queues.push(&[Outgoing { key: job.id, job, run_at: None }]).await.expect("the job is queued");

    until(&world, id, CertificateStatus::Issued, Duration::from_secs(30)).await;
    // SIGKILL to the worker's whole group: the worker and the nginx test it is waiting for.
    drop(first);
    let _second = worker(&world, &namespace, local, &world.nginx_command(&["-t"]).join(" "));
    until(&world, id, CertificateStatus::Installed, Duration::from_secs(60)).await;

    let types: Vec<&str> = world.facts(id).await.iter().map(CertificateEvent::type_name).collect();
    assert_eq!(types, ["CertificateRequested", "CertificateIssued", "CertificateInstalled"]);
    let serial = world.certificate(id).await.current.unwrap().serial;
    let port = world.serve(id, "kill.test");
    assert_eq!(served_serial(port, "kill.test"), serial);
}

#[tokio::test]
async fn two_workers_of_different_hosts_each_order_only_their_own_hosts_certificates() {
    let world = World::new("web-1").await;
    let (queues, namespace) = lawha_jobs::testkit::redis_queues().await;
    let nginx_test = world.nginx_command(&["-t"]).join(" ");
    let (mut jobs, mut ids, mut workers) = (Vec::new(), Vec::new(), Vec::new());
    for host in ["web-1", "web-2"] {
        let mut spec = world.spec(&[&format!("{host}.test")], Challenge::Http01);
        spec.host = host.to_owned();
        let (id, job) = world.request(spec).await;
        assert_eq!(job.queue, format!("certificates.{host}"));
        let dir = world.path().join(format!("certificates-{host}"));
        workers.push(worker(&world, &namespace, (host, &dir), &nginx_test));
        jobs.push(Outgoing { key: job.id, job, run_at: None });
        ids.push(id);
    }
    queues.push(&jobs).await.expect("the jobs are queued");

    for (id, host) in ids.into_iter().zip(["web-1", "web-2"]) {
        until(&world, id, CertificateStatus::Installed, Duration::from_secs(30)).await;
        let installed = world.facts(id).await.into_iter().find_map(|f| match f {
            CertificateEvent::CertificateInstalled(installation) => Some(installation),
            _ => None,
        });
        let path = installed.expect("installed").certificate_path;
        assert!(path.contains(&format!("certificates-{host}/")), "{host}'s certificate went to {path}");
    }
    drop(workers);
}
