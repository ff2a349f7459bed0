//! Deployments end to end through the panel, with real parts: a git repository made here and served by
//! `file://`, a python3 app started by the `process` runtime on the idle colour, and a real nginx in its own
//! prefix whose upstream file the deploy worker (in-process) switches. A signed push deploys exactly its commit
//! and nginx serves it; the next push goes to the other colour under continuous load through nginx with no
//! failed request; a rollback serves the first release again without a rebuild; a failing build leaves the
//! live version serving and the deployment names the step. The stage (repository, app, nginx, the load through
//! nginx) is `lawha_bench::stage`, which `lawha bench webhook` measures the switch with.

use crate::common::{
    self,
    deploy::{Workers, World, commit},
};

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use lawha_bench::stage;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backups::call;

/// Requests through nginx from 4 clients, a new connection each, until stopped: (answered, failed, errors).
fn load(world: &World, stop: &Arc<AtomicBool>) -> tokio::task::JoinHandle<(u64, u64, Vec<String>)> {
    let served = stage::load(world.stage.port, 4, stop);
    tokio::spawn(async move {
        let served = served.await.unwrap();
        (served.answered, served.failed, served.errors)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_deploys_its_commit_switches_colours_under_load_rolls_back_and_survives_a_failing_build() {
    let world = World::start(Workers::InProcess).await;
    let v1 = commit(&world.stage, "v1", false);
    let first = world.push("d-1", &v1).await;
    let view = world.ended(&first).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(view["commit"], v1.as_str());
    let log = format!("/api/v1/jobs/{}/log", view["job_id"].as_str().expect("the deployment names its job"));
    let (status, lines) = call(world.app(), &world.admin, Method::GET, &log, None).await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert!(lines.to_string().contains("deploy.switched"), "the job's log shows the steps: {lines}");
    // nginx's reload is asynchronous: before this first release nothing served, so its old workers answer 502
    // for the few milliseconds they last. Later switches keep the old colour running through the drain.
    let served =
        common::eventually(Duration::from_secs(5), "nginx to serve v1", || async { world.serves().await == "v1" });
    served.await;

    // The second push, under continuous load through nginx: not one request fails.
    let v2 = commit(&world.stage, "v2", false);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let loader = load(&world, &stop);
    let second = world.push("d-2", &v2).await;
    let view = world.ended(&second).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let (answered, failed, errors) = loader.await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = answered as f64 / seconds;
    println!("deploy under load: {answered} requests in {seconds:.1} s ({rate:.0}/s), {failed} failed");
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(failed, 0, "requests failed during the switch: {errors:?}");
    assert_eq!(world.serves().await, "v2");
    assert_ne!(view["colour"], Value::Null);

    // Roll back to the first release, under load too: no rebuild, v1 again.
    let (_, releases) =
        call(world.app(), &world.admin, Method::GET, &format!("/api/v1/sites/{}/releases", world.site_id), None).await;
    let release = releases["releases"].as_array().unwrap().iter().find(|r| r["commit"] == v1.as_str()).unwrap().clone();
    let stop = Arc::new(AtomicBool::new(false));
    let loader = load(&world, &stop);
    let path = format!("/api/v1/sites/{}/rollback", world.site_id);
    let (status, accepted) =
        call(world.app(), &world.admin, Method::POST, &path, Some(json!({ "release_id": release["release_id"] })))
            .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let view = world.ended(accepted["deployment_id"].as_str().unwrap()).await;
    stop.store(true, Ordering::Relaxed);
    let (answered, failed, errors) = loader.await.unwrap();
    println!("rollback under load: {answered} requests, {failed} failed");
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(failed, 0, "requests failed during the rollback: {errors:?}");
    assert_eq!(world.serves().await, "v1");

    // A failing build: the deployment names the step and v1 keeps serving.
    let v3 = commit(&world.stage, "v3", true);
    let third = world.push("d-3", &v3).await;
    let view = world.ended(&third).await;
    assert_eq!((view["status"].as_str(), view["failed_step"].as_str()), (Some("failed"), Some("build")), "{view}");
    assert!(view["log_tail"].as_str().unwrap_or_default().contains("the build is broken"), "{view}");
    assert_eq!(world.serves().await, "v1");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_during_a_deployment_make_one_follow_up_that_deploys_the_newest_commit() {
    let world = World::start(Workers::InProcess).await;
    // The first release builds slowly, so the next pushes arrive while it runs.
    let v1 = world.stage.commit("v1", "sleep 3\n").unwrap();
    let first = world.push("c-1", &v1).await;
    let mut follow_ups = Vec::new();
    for (i, version) in ["v2", "v3", "v4"].into_iter().enumerate() {
        let commit = commit(&world.stage, version, false);
        let id = world.push(&format!("c-{}", i + 2), &commit).await;
        // The webhook answers once the read model shows the deployment it asked for, so the next push sees it.
        let path = format!("/api/v1/deployments/{id}");
        let (status, view) = call(world.app(), &world.admin, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        follow_ups.push(id);
    }
    assert!(follow_ups.iter().all(|id| *id == follow_ups[0]), "one follow-up: {follow_ups:?}");
    assert_ne!(follow_ups[0], first);
    let newest = world.stage.git(&["rev-parse", "HEAD"]).unwrap();
    let view = world.ended(&first).await;
    assert_eq!((view["status"].as_str(), view["commit"].as_str()), (Some("succeeded"), Some(v1.as_str())), "{view}");
    let view = world.ended(&follow_ups[0]).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_eq!(view["commit"], newest.as_str(), "the follow-up deploys the newest commit");
    let (_, list) =
        call(world.app(), &world.admin, Method::GET, &format!("/api/v1/sites/{}/deployments", world.site_id), None)
            .await;
    assert_eq!(list["deployments"].as_array().unwrap().len(), 2, "two deployments for four pushes: {list}");
    assert_eq!(world.serves().await, "v4");
    world.stop().await;
}
