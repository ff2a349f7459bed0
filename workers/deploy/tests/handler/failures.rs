//! Deployments that fail: a build that fails, a release that never becomes healthy and a start command that ends
//! at once each end the deployment as failed at that step, with the reason and the output, the job failed for
//! good, the colour they started stopped, and the release that served before still serving.

use lawha_domain::deployments::{Colour, DeploymentEvent, SiteCommand, Step};
use lawha_jobs::runtime::JobError;
use uuid::Uuid;

use crate::world::World;

/// The failure a deployment ended with: its step, its reason's code, its log tail.
async fn failure(world: &World, id: Uuid) -> (Step, String, String) {
    match world.facts(id).await.pop() {
        Some(DeploymentEvent::DeploymentFailed { step, reason, log_tail }) => (step, reason.code, log_tail),
        other => panic!("the deployment did not fail: {other:?}"),
    }
}

#[tokio::test]
async fn failed_steps_are_recorded_with_their_reason_and_the_old_release_keeps_serving() {
    let world = World::new(3).await;
    world.deploy(None).await;
    world.serves("v1 hello").await;

    // The build fails.
    let broken = world.commit(&[("version.txt", "v2"), ("fail-build", "")], &[]);
    let (id, job) = world.request(Some(&broken)).await;
    let error = world.run(&job, 1).await.expect_err("the build fails");
    assert!(matches!(&error, JobError::Permanent(m) if m.code == "deploy.command_failed"), "{error:?}");
    let names = world.fact_names(id).await;
    assert_eq!(names, ["DeploymentRequested", "DeploymentFetched", "DeploymentFailed"]);
    let (step, reason, tail) = failure(&world, id).await;
    assert_eq!((step, reason.as_str()), (Step::Build, "deploy.command_failed"));
    assert!(tail.contains("the build broke: fail-build is here"), "{tail}");
    assert!(!world.runs(Colour::Green).await, "nothing was started");
    world.serves("v1 hello").await;

    // The release never becomes healthy.
    let sick = world.commit(&[("version.txt", "v3"), ("unhealthy", "")], &["fail-build"]);
    let (id, job) = world.request(Some(&sick)).await;
    world.run(&job, 1).await.expect_err("the health check fails");
    let (step, reason, tail) = failure(&world, id).await;
    assert_eq!((step, reason.as_str()), (Step::Health, "deploy.unhealthy_status"));
    assert!(tail.contains("serving v3 hello"), "the app's own output: {tail}");
    assert!(!world.runs(Colour::Green).await, "the unhealthy release was stopped");
    assert!(world.runs(Colour::Blue).await, "the live colour was not touched");
    world.serves("v1 hello").await;

    // The start command ends at once.
    world.commit(&[("version.txt", "v4")], &["unhealthy"]);
    let mut spec = world.spec.clone();
    spec.start_command = "echo \"cannot start: no config for port $PORT\" >&2; exit 3".into();
    world.site(SiteCommand::Update { spec }).await;
    let (id, job) = world.request(None).await;
    let error = world.run(&job, 1).await.expect_err("the start fails");
    assert!(matches!(&error, JobError::Permanent(m) if m.code == "deploy.app_exited"), "{error:?}");
    let (step, reason, tail) = failure(&world, id).await;
    assert_eq!((step, reason.as_str()), (Step::Start, "deploy.app_exited"));
    assert!(tail.contains("cannot start: no config for port"), "{tail}");
    world.serves("v1 hello").await;
    assert!(world.runs(Colour::Blue).await);

    // A failed deployment's job run again records nothing.
    let before = world.fact_names(id).await.len();
    assert_eq!(world.run(&job, 2).await.expect("nothing to do")["outcome"], "already");
    assert_eq!(world.fact_names(id).await.len(), before);
}

#[tokio::test]
async fn a_deleted_site_fails_the_deployment_at_its_first_step() {
    let world = World::new(3).await;
    let (id, job) = world.request(None).await;
    world.site(SiteCommand::Delete).await;
    let error = world.run(&job, 1).await.expect_err("no site");
    assert!(matches!(&error, JobError::Permanent(m) if m.code == "deploy.site_deleted"), "{error:?}");
    assert_eq!(failure(&world, id).await.0, Step::Fetch);
}
