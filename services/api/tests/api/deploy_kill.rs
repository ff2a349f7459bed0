//! The deploy worker killed with SIGKILL in the middle of a deployment: the real `lawha-deploy-worker` binary
//! works the site's queue against the test's PostgreSQL and Redis while the panel (in-process, working no queue)
//! takes the webhook and dispatches. The worker is killed while the build runs, or once the new colour started
//! and before the switch; a second worker gets the job again once the first one's heartbeats are missed (about
//! 15 to 30 s), resumes the deployment at its due step and finishes it. Either way the deployment succeeds and
//! the site ends on exactly one colour: nginx's upstream names it, it answers the new version, and nothing
//! listens on the other colour's port any more.
//!
//! The worker binary belongs to another package, so cargo does not build it for these tests: the first test
//! that needs it runs `cargo build -p lawha-deploy-worker` into this test binary's target folder (a no-op when it
//! is current), so the binary under test is never older than its sources.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use lawha_domain::{Aggregate as _, deployments::Deployment};
use uuid::Uuid;

use crate::common::{
    self,
    deploy::{Workers, World, answer, commit},
};

/// The `lawha-deploy-worker` binary beside this test's `lawha`, built (once per run) if it is missing or stale.
fn worker_binary() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let lawha = Path::new(env!("CARGO_BIN_EXE_lawha"));
        let profile_dir = lawha.parent().expect("the binary's folder");
        let target = profile_dir.parent().expect("the target folder");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--package", "lawha-deploy-worker", "--bin", "lawha-deploy-worker"])
            .arg("--profile")
            .arg(profile)
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target)
            .status()
            .expect("running cargo to build lawha-deploy-worker");
        assert!(status.success(), "cargo build -p lawha-deploy-worker failed");
        profile_dir.join("lawha-deploy-worker")
    })
}

/// A running `lawha-deploy-worker`, killed when dropped (also when the test fails).
struct Worker(Child);

impl Worker {
    /// Starts the worker with the world's configuration, as the other process tests pass it: the environment.
    fn start(world: &World, data: &Path) -> Self {
        let config = &world.app().state.config;
        let (releases, state, upstreams) = world.stage.deploy_dirs();
        let child = Command::new(worker_binary())
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("LAWHA_ENV", "test")
            .env("LAWHA_DATA_DIR", data)
            .env("LAWHA_DATABASE_URL", config.database_url.expose())
            .env("LAWHA_REDIS_URL", lawha_jobs::testkit::redis_url())
            .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
            .env("LAWHA_JOBS__NAMESPACE", &config.jobs.namespace)
            .env("LAWHA_LOG__LEVEL", "warn")
            .env("LAWHA_DEPLOYMENTS__RELEASES_DIR", releases)
            .env("LAWHA_DEPLOYMENTS__STATE_DIR", state)
            .env("LAWHA_DEPLOYMENTS__NGINX_UPSTREAM_DIR", upstreams)
            .env("LAWHA_DEPLOYMENTS__NGINX_TEST_COMMAND", world.stage.nginx_command(&["-t"]).join(" "))
            .env("LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND", world.stage.nginx_command(&["-s", "reload"]).join(" "))
            .env("LAWHA_DEPLOYMENTS__DRAIN_SECS", "1")
            .env("LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS", "20")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting lawha-deploy-worker");
        Self(child)
    }

    /// SIGKILL, and the exit reaped.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The types of the deployment's facts so far.
async fn facts(world: &World, id: &str) -> Vec<String> {
    let stream = Deployment::stream(Uuid::parse_str(id).unwrap());
    let events = world.app().state.db.events.read_stream(&stream, 0, 1000).await.expect("the deployment's stream");
    events.into_iter().map(|e| e.event_type).collect()
}

/// Waits (polling every 20 ms, at most a minute) until the deployment recorded `fact`.
async fn until_recorded(world: &World, id: &str, fact: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !facts(world, id).await.iter().any(|f| f == fact) {
        assert!(Instant::now() < deadline, "{id} did not record {fact}: {:?}", facts(world, id).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The port the site's upstream file names.
fn upstream_port(world: &World) -> u16 {
    let (_, _, upstreams) = world.stage.deploy_dirs();
    let line = std::fs::read_to_string(upstreams.join("shop.upstream.conf")).expect("the upstream file");
    let port = line.trim().strip_prefix("server 127.0.0.1:").and_then(|rest| rest.strip_suffix(';'));
    port.and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("not an upstream line: {line:?}"))
}

/// The site serves `version` from exactly one colour: the one its deployment names, which the upstream file
/// points at and whose app answers `version`; nothing listens on the other colour's port, and the runtime
/// recorded no app for it.
async fn one_live_colour(world: &World, view: &serde_json::Value, version: &str) {
    let [blue, green] = world.stage.ports;
    let (live, idle, idle_name) = match view["colour"].as_str() {
        Some("blue") => (blue, green, "green"),
        Some("green") => (green, blue, "blue"),
        other => panic!("the deployment names no colour ({other:?}): {view}"),
    };
    assert_eq!(upstream_port(world), live, "nginx points at the colour the deployment names");
    assert_eq!(answer(live).await.as_deref(), Ok(version), "the live colour's app answers {version}");
    let served = common::eventually(Duration::from_secs(5), "nginx to serve the new version", || async {
        world.serves().await == version
    });
    served.await;
    assert!(answer(idle).await.is_err(), "something still listens on the other colour's port {idle}");
    let (_, state, _) = world.stage.deploy_dirs();
    let pid_file = state.join("shop").join(format!("{idle_name}.pid"));
    assert!(!pid_file.exists(), "the stopped colour's pid file is gone: {}", pid_file.display());
}

/// Deploys v1 with a first worker, then pushes v2 (whose build is `build`) and kills that worker with SIGKILL
/// once the deployment recorded `kill_after`; a second worker must finish v2, on the other colour than v1's.
async fn killed_after(kill_after: &str, build: &str) {
    let world = World::start(Workers::Apart).await;
    let data = world.stage.path().join("worker-data");
    let first_worker = Worker::start(&world, &data);
    let v1 = commit(&world.stage, "v1", false);
    let first = world.push("k-1", &v1).await;
    let view = world.ended(&first).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    one_live_colour(&world, &view, "v1").await;
    let v1_colour = view["colour"].clone();

    let v2 = world.stage.commit("v2", build).unwrap();
    let second = world.push("k-2", &v2).await;
    until_recorded(&world, &second, kill_after).await;
    first_worker.kill();
    let at_kill = facts(&world, &second).await;
    assert!(!at_kill.iter().any(|f| f == "DeploymentSwitched"), "killed too late, after the switch: {at_kill:?}");

    let second_worker = Worker::start(&world, &data);
    let view = world.ended_within(&second, Duration::from_secs(150)).await;
    assert_eq!((view["status"].as_str(), view["commit"].as_str()), (Some("succeeded"), Some(v2.as_str())), "{view}");
    let after = facts(&world, &second).await;
    for fact in ["DeploymentBuilt", "DeploymentStarted", "DeploymentSwitched", "DeploymentSucceeded"] {
        assert_eq!(after.iter().filter(|f| *f == fact).count(), 1, "{fact} recorded once: {after:?}");
    }
    assert_ne!(view["colour"], v1_colour, "v2 went to the colour v1 did not serve: {view}");
    one_live_colour(&world, &view, "v2").await;
    drop(second_worker);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deploy_worker_killed_during_the_build_is_replaced_and_the_site_ends_on_one_healthy_colour() {
    killed_after("DeploymentFetched", "sleep 4\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deploy_worker_killed_after_the_new_colour_started_is_replaced_and_the_site_ends_on_one_colour() {
    // The build makes the new release wait 3 s before it listens, so the kill lands in the health gate.
    let slow = "sed -i '1i import time; time.sleep(3)' app.py\n";
    killed_after("DeploymentStarted", slow).await;
}
