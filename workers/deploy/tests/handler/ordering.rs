//! The order of a site's deployments and their resumption: a deployment waits for an earlier one of its site that
//! has not ended (as the `deployments` read model shows it; these tests write the rows the projection would),
//! and a job cut short resumes at its step.

use std::time::Duration;

use lawha_deploy_worker::Deploy;
use lawha_domain::{Message, deployments::Colour};
use lawha_jobs::runtime::Handler as _;

use crate::{support::eventually, world::World};

#[tokio::test]
async fn a_deployment_waits_for_an_earlier_one_of_its_site_to_end() {
    let world = World::new(20).await;
    let (id, job) = world.request(None).await;
    let requested_at = world.events(id).await[0].recorded_at.timestamp_micros();
    // Active, but not in the way: a later one of the site, and an earlier one of another host.
    world.read_model_row("0190a0c2-0000-7000-8000-00000000000a", "local", "requested", requested_at + 1).await;
    world.read_model_row("0190a0c2-0000-7000-8000-00000000000b", "web-2", "built", requested_at - 1).await;
    // Not in the way either: an earlier one whose job was dead-lettered (it will never end).
    let dead = "0190a0c2-0000-7000-8000-00000000000d";
    world.read_model_row(dead, "local", "started", requested_at - 2_000_000).await;
    world.dead_job(dead).await;
    // In the way: an earlier one of the site that has not ended.
    let earlier = "0190a0c2-0000-7000-8000-00000000000c";
    world.read_model_row(earlier, "local", "health_passed", requested_at - 1_000_000).await;

    let ctx = world.context(&job, 1);
    let handler = Deploy(world.deps.clone());
    let running = tokio::spawn(async move { handler.run(&ctx).await });
    let waiting = Message::new("deploy.waiting_for_deployment").with("deployment", earlier);
    assert!(
        eventually(Duration::from_secs(5), || async { world.log(&job).await.contains(&waiting) }).await,
        "the wait is in the job's log"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(world.fact_names(id).await, ["DeploymentRequested"], "nothing happened while it waited");
    assert_eq!(world.log(&job).await.iter().filter(|m| **m == waiting).count(), 1, "said once");

    sqlx::query("UPDATE deployments SET status = 'succeeded' WHERE deployment_id = $1")
        .bind(earlier.to_owned())
        .execute(&world.db.db.read_models)
        .await
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(60), running).await.expect("done").unwrap().unwrap();
    assert_eq!(output["outcome"], "succeeded");
    world.serves("v1 hello").await;
}

#[tokio::test]
async fn a_job_cut_short_resumes_at_its_step_and_records_each_fact_once() {
    let world = World::new(20).await;
    let (id, job) = world.request(None).await;
    let ctx = world.context(&job, 1);
    let handler = Deploy(world.deps.clone());
    let first = tokio::spawn(async move { handler.run(&ctx).await });
    let started = eventually(Duration::from_secs(30), || async {
        world.fact_names(id).await.iter().any(|n| n == "DeploymentStarted")
    })
    .await;
    assert!(started, "the release started");
    // The worker dies: its task is gone, the app it started keeps running.
    first.abort();
    let _ = first.await;
    let recorded = world.fact_names(id).await.len();
    println!("the first attempt was cut short after {recorded} facts");

    let output = world.run(&job, 2).await.expect("the second attempt finishes it");
    assert_eq!(output["outcome"], "succeeded", "{output}");
    let names = world.fact_names(id).await;
    assert_eq!(names.len(), 8, "each fact once: {names:?}");
    assert_eq!(names.iter().filter(|n| *n == "DeploymentFetched").count(), 1);
    if recorded < 6 {
        let resumed = world.log(&job).await.into_iter().any(|m| m.code == "deploy.resuming");
        assert!(resumed, "the second attempt said where it resumed");
    }
    assert!(world.runs(Colour::Blue).await);
    world.serves("v1 hello").await;
}
