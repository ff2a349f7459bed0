//! Deployments: the order of the worker's steps, and the coalescing of pushes.

use uuid::Uuid;

use super::now;
use crate::deployments::*;
use crate::{Aggregate as _, DomainEvent as _, Message, RecordedEvent, event::Metadata, testing::given};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const OTHER: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn requested(commit: Option<&str>, trigger: Trigger) -> DeploymentEvent {
    DeploymentEvent::DeploymentRequested {
        deployment_id: Uuid::from_u128(2),
        site_id: Uuid::from_u128(1),
        host: "web-1".into(),
        commit: commit.map(str::to_owned),
        trigger,
    }
}

fn manual() -> DeploymentEvent {
    requested(None, Trigger::Manual { actor: "amira".into() })
}

fn steps() -> Vec<DeploymentEvent> {
    vec![
        DeploymentEvent::DeploymentFetched { commit: COMMIT.into() },
        DeploymentEvent::DeploymentBuilt { release_id: Uuid::from_u128(3) },
        DeploymentEvent::DeploymentStarted { colour: Colour::Green },
        DeploymentEvent::DeploymentHealthPassed {},
        DeploymentEvent::DeploymentSwitched { colour: Colour::Green },
        DeploymentEvent::DeploymentDrained {},
        DeploymentEvent::DeploymentSucceeded {},
    ]
}

/// The request and the first `n` steps.
fn history(n: usize) -> Vec<DeploymentEvent> {
    std::iter::once(manual()).chain(steps().into_iter().take(n)).collect()
}

fn failed(step: Step) -> DeploymentEvent {
    DeploymentEvent::DeploymentFailed { step, reason: Message::text("exit status 1"), log_tail: "npm ERR!".into() }
}

fn record(event: DeploymentEvent) -> DeploymentCommand {
    DeploymentCommand::Record(event)
}

#[test]
fn a_deployment_is_requested_once_with_a_commit_or_the_branch_head() {
    let ask = |commit: Option<&str>| DeploymentCommand::Request {
        deployment_id: Uuid::from_u128(2),
        site_id: Uuid::from_u128(1),
        host: "web-1".into(),
        commit: commit.map(str::to_owned),
        trigger: Trigger::Manual { actor: "amira".into() },
    };
    let state = given::<Deployment>([]).when(&ask(None), now()).then_expect([manual()]);
    assert!(state.is_active() && state.due_step() == Some(Step::Fetch));
    given::<Deployment>([manual()]).when(&ask(None), now()).then_reject(|r| *r == DeploymentRejection::AlreadyExists);
    given::<Deployment>([])
        .when(&ask(Some("0123abc")), now())
        .then_reject(|r| r.message() == messages::commit_invalid("0123abc"));
    given::<Deployment>([])
        .when(&ask(Some(&COMMIT.to_uppercase())), now())
        .then_reject(|r| matches!(r, DeploymentRejection::CommitInvalid(_)));
    given::<Deployment>([])
        .when(&record(DeploymentEvent::DeploymentDrained {}), now())
        .then_reject(|r| *r == DeploymentRejection::NotFound);
    assert_eq!(Deployment::stream(Uuid::from_u128(2)).as_str(), format!("deployment-{}", Uuid::from_u128(2)));
}

#[test]
fn the_worker_records_each_step_in_order_until_success() {
    let mut past = history(0);
    for step in steps() {
        given::<Deployment>(past.clone()).when(&record(step.clone()), now()).then_expect([step.clone()]);
        past.push(step);
    }
    let done = given::<Deployment>(past).when(&record(DeploymentEvent::DeploymentSucceeded {}), now()).then_expect([]);
    assert_eq!(done.status, DeploymentStatus::Succeeded);
    assert_eq!(
        (done.commit.as_deref(), done.release_id, done.colour),
        (Some(COMMIT), Some(Uuid::from_u128(3)), Some(Colour::Green))
    );
    assert!(!done.is_active());
}

#[test]
fn a_fact_out_of_order_is_refused() {
    let out_of_order = |fact: &'static str, status: &'static str| {
        move |r: &DeploymentRejection| *r == DeploymentRejection::OutOfOrder { fact, status }
    };
    given::<Deployment>(history(0))
        .when(&record(DeploymentEvent::DeploymentBuilt { release_id: Uuid::from_u128(3) }), now())
        .then_reject(out_of_order("DeploymentBuilt", "requested"));
    given::<Deployment>(history(1))
        .when(&record(DeploymentEvent::DeploymentHealthPassed {}), now())
        .then_reject(out_of_order("DeploymentHealthPassed", "fetched"));
    given::<Deployment>(history(3))
        .when(&record(DeploymentEvent::DeploymentFetched { commit: OTHER.into() }), now())
        .then_reject(out_of_order("DeploymentFetched", "started"));
    given::<Deployment>(history(5))
        .when(&record(DeploymentEvent::DeploymentSucceeded {}), now())
        .then_reject(out_of_order("DeploymentSucceeded", "switched"));
    given::<Deployment>(history(1))
        .when(&record(DeploymentEvent::DeploymentStarted { colour: Colour::Blue }), now())
        .then_reject(|r| r.message() == messages::fact_out_of_order("DeploymentStarted", "fetched"));
    for past in [history(0), history(2)] {
        given::<Deployment>(past)
            .when(&record(manual()), now())
            .then_reject(|r| *r == DeploymentRejection::NotAFact("DeploymentRequested"));
    }
}

#[test]
fn nothing_follows_success_or_failure() {
    given::<Deployment>(history(7))
        .when(&record(failed(Step::Drain)), now())
        .then_reject(|r| *r == DeploymentRejection::Ended("succeeded"));
    let mut past = history(1);
    past.push(failed(Step::Build));
    let state = given::<Deployment>(past.clone()).when(&record(failed(Step::Build)), now()).then_expect([]);
    assert_eq!((state.status, state.failed_step), (DeploymentStatus::Failed, Some(Step::Build)));
    given::<Deployment>(past)
        .when(&record(DeploymentEvent::DeploymentBuilt { release_id: Uuid::from_u128(3) }), now())
        .then_reject(|r| r.message() == messages::deployment_ended("failed"));
}

#[test]
fn the_same_fact_again_records_nothing_but_a_different_one_is_refused() {
    let built = DeploymentEvent::DeploymentBuilt { release_id: Uuid::from_u128(3) };
    given::<Deployment>(history(2)).when(&record(built), now()).then_expect([]);
    given::<Deployment>(history(2))
        .when(&record(DeploymentEvent::DeploymentBuilt { release_id: Uuid::from_u128(4) }), now())
        .then_reject(|r| matches!(r, DeploymentRejection::OutOfOrder { .. }));
}

#[test]
fn a_failure_names_the_step_it_was_due_and_keeps_the_tail_of_its_output() {
    given::<Deployment>(history(1)).when(&record(failed(Step::Build)), now()).then_expect([failed(Step::Build)]);
    given::<Deployment>(history(1))
        .when(&record(failed(Step::Health)), now())
        .then_reject(|r| matches!(r, DeploymentRejection::OutOfOrder { fact: "DeploymentFailed", .. }));
    given::<Deployment>(history(6))
        .when(&record(failed(Step::Drain)), now())
        .then_reject(|r| matches!(r, DeploymentRejection::OutOfOrder { status: "drained", .. }));
    let output = format!("{}é{}", "x".repeat(10_000), "y".repeat(LOG_TAIL_MAX_BYTES - 1));
    let long = DeploymentEvent::DeploymentFailed {
        step: Step::Fetch,
        reason: Message::text("git fetch: exit status 128"),
        log_tail: output,
    };
    let kept = DeploymentEvent::DeploymentFailed {
        step: Step::Fetch,
        reason: Message::text("git fetch: exit status 128"),
        log_tail: "y".repeat(LOG_TAIL_MAX_BYTES - 1),
    };
    let state = given::<Deployment>(history(0)).when(&record(long.clone()), now()).then_expect([kept.clone()]);
    assert_eq!(state.due_step(), None);
    given::<Deployment>([manual(), kept]).when(&record(long), now()).then_expect([]);
}

#[test]
fn a_rollback_starts_a_kept_release_without_fetching_or_building() {
    let rollback = requested(None, Trigger::Rollback { release_id: Uuid::from_u128(9) });
    let state = given::<Deployment>([rollback.clone()])
        .when(&record(DeploymentEvent::DeploymentStarted { colour: Colour::Blue }), now())
        .then_expect([DeploymentEvent::DeploymentStarted { colour: Colour::Blue }]);
    assert_eq!((state.release_id, state.due_step()), (Some(Uuid::from_u128(9)), Some(Step::Health)));
    given::<Deployment>([rollback.clone()])
        .when(&record(DeploymentEvent::DeploymentFetched { commit: COMMIT.into() }), now())
        .then_reject(|r| matches!(r, DeploymentRejection::OutOfOrder { fact: "DeploymentFetched", .. }));
    given::<Deployment>([rollback]).when(&record(failed(Step::Start)), now()).then_expect([failed(Step::Start)]);
}

#[test]
fn the_switch_goes_to_the_colour_started_and_the_commit_fetched_is_the_one_asked_for() {
    given::<Deployment>(history(4))
        .when(&record(DeploymentEvent::DeploymentSwitched { colour: Colour::Blue }), now())
        .then_reject(|r| {
            r.message() == messages::colour_mismatch("green", "blue")
                && *r == DeploymentRejection::ColourMismatch { started: Colour::Green, switched: Colour::Blue }
        });
    let pinned = requested(Some(COMMIT), Trigger::Manual { actor: "amira".into() });
    given::<Deployment>([pinned.clone()])
        .when(&record(DeploymentEvent::DeploymentFetched { commit: OTHER.into() }), now())
        .then_reject(|r| r.message() == messages::commit_mismatch(COMMIT, OTHER));
    given::<Deployment>([pinned])
        .when(&record(DeploymentEvent::DeploymentFetched { commit: "HEAD".into() }), now())
        .then_reject(|r| *r == DeploymentRejection::CommitInvalid("HEAD".into()));
}

#[test]
fn worker_facts_get_ids_from_the_job_and_requests_round_trip_through_storage() {
    let job = Uuid::from_u128(9);
    let [fetched, built, ..] = &steps()[..] else { unreachable!() };
    assert_eq!(fetched.event_id(job), fetched.event_id(job));
    assert_ne!(fetched.event_id(job), built.event_id(job));
    assert_eq!(
        DeploymentEvent::DeploymentSucceeded {}.event_id(job),
        failed(Step::Drain).event_id(job),
        "a job ends its deployment once, one way or the other"
    );
    let pushed = requested(
        Some(COMMIT),
        Trigger::Push {
            pusher: "octocat".into(),
            delivery_id: "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
            hook_id: 42,
        },
    );
    let follow_up = requested(Some(COMMIT), Trigger::FollowUp { after: Uuid::from_u128(5) });
    for event in [pushed, follow_up, failed(Step::Health), DeploymentEvent::DeploymentStarted { colour: Colour::Blue }]
    {
        let (event_type, data) = event.to_parts();
        assert_eq!(event_type, event.type_name());
        assert_eq!(DeploymentEvent::schema_version(&event_type), 1);
        let stored = RecordedEvent {
            position: 1,
            event_id: Uuid::nil(),
            stream: Deployment::stream(Uuid::from_u128(2)),
            version: 1,
            event_type,
            schema_version: 1,
            data,
            metadata: Metadata::default(),
            recorded_at: now(),
            chain: Vec::new(),
        };
        assert_eq!(DeploymentEvent::from_recorded(&stored).unwrap(), event);
    }
    let (_, data) = requested(None, Trigger::FollowUp { after: Uuid::nil() }).to_parts();
    assert_eq!((data["trigger"]["kind"].as_str(), data["commit"].is_null()), (Some("follow_up"), true));
    let (_, data) = failed(Step::Health).to_parts();
    assert_eq!(data["step"], "health");
}
