//! Deployments that succeed: every step recorded once and in order, nginx serving the new release, the next
//! deployment on the other colour with the first one stopped, and a job run again recording nothing.

use lawha_domain::deployments::{Colour, DeploymentEvent};

use crate::world::World;

/// Every fact of a deployment that succeeded, in order.
const SUCCEEDED: [&str; 8] = [
    "DeploymentRequested",
    "DeploymentFetched",
    "DeploymentBuilt",
    "DeploymentStarted",
    "DeploymentHealthPassed",
    "DeploymentSwitched",
    "DeploymentDrained",
    "DeploymentSucceeded",
];

#[tokio::test]
async fn a_deployment_runs_every_step_once_and_nginx_serves_the_new_release() {
    let world = World::new(20).await;
    let head = crate::world::run_git(&world.origin, &["rev-parse", "HEAD"]);
    let (id, job) = world.request(None).await;
    let output = world.run(&job, 1).await.expect("succeeded");
    assert_eq!((output["outcome"].as_str(), output["colour"].as_str()), (Some("succeeded"), Some("blue")), "{output}");

    assert_eq!(world.fact_names(id).await, SUCCEEDED);
    let facts = world.facts(id).await;
    assert_eq!(facts[1], DeploymentEvent::DeploymentFetched { commit: head.clone() }, "the branch's head");
    assert_eq!(facts[3], DeploymentEvent::DeploymentStarted { colour: Colour::Blue }, "the first release on blue");
    assert_eq!(facts[5], DeploymentEvent::DeploymentSwitched { colour: Colour::Blue });
    let DeploymentEvent::DeploymentBuilt { release_id } = facts[2] else { panic!("{:?}", facts[2]) };
    let release = world.deps.releases.path("shop", &release_id.to_string()).unwrap();
    assert_eq!(std::fs::read_to_string(release.join("version.txt")).unwrap(), "v1");
    world.serves("v1 hello").await;

    // Every step speaks in the job's log, the build's own output and the sealed variable's use included.
    let log = world.log(&job).await;
    let codes: Vec<&str> = log.iter().map(|m| m.code.as_str()).filter(|c| *c != "text").collect();
    for expected in [
        "deploy.fetching",
        "deploy.fetched",
        "deploy.building",
        "deploy.built",
        "deploy.app_starting",
        "deploy.health_checking",
        "deploy.health_passed",
        "deploy.switching",
        "deploy.switched",
        "deploy.succeeded",
    ] {
        assert!(codes.contains(&expected), "{expected} not in {codes:?}");
    }
    let texts: Vec<String> = log.iter().filter(|m| m.code == "text").map(ToString::to_string).collect();
    assert!(texts.iter().any(|t| t == "building v1 for hello"), "{texts:?}");

    // The same job again (a redelivery) records nothing and changes nothing.
    let again = world.run(&job, 2).await.expect("nothing to do");
    assert_eq!(again["outcome"], "already", "{again}");
    assert_eq!(world.fact_names(id).await.len(), SUCCEEDED.len());
    assert!(world.runs(Colour::Blue).await);
    world.serves("v1 hello").await;
}

#[tokio::test]
async fn the_next_deployment_switches_to_the_other_colour_and_stops_the_first() {
    let world = World::new(20).await;
    world.deploy(None).await;
    world.serves("v1 hello").await;
    let v2 = world.commit(&[("version.txt", "v2")], &[]);
    let second = world.deploy(Some(&v2)).await;

    let facts = world.facts(second).await;
    assert_eq!(facts.len(), SUCCEEDED.len());
    assert_eq!(facts[1], DeploymentEvent::DeploymentFetched { commit: v2 });
    assert_eq!(facts[3], DeploymentEvent::DeploymentStarted { colour: Colour::Green });
    world.serves("v2 hello").await;
    assert!(world.runs(Colour::Green).await, "green serves");
    assert!(!world.runs(Colour::Blue).await, "blue was stopped after the drain");

    // And back: the third goes to blue, and with releases_to_keep 2 the first release is pruned.
    let v3 = world.commit(&[("version.txt", "v3")], &[]);
    let third = world.deploy(Some(&v3)).await;
    assert_eq!(world.facts(third).await[3], DeploymentEvent::DeploymentStarted { colour: Colour::Blue });
    world.serves("v3 hello").await;
    assert!(!world.runs(Colour::Green).await);
    assert_eq!(world.deps.releases.list("shop").await.unwrap().len(), 2, "the oldest release was pruned");
}
