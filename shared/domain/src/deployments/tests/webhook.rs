//! GitHub webhooks: signatures and what a delivery asks for.

use serde_json::json;

use crate::deployments::messages;
use crate::deployments::webhook::*;

const SECRET: &[u8] = b"It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const HEAD: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

#[test]
fn githubs_test_vector_verifies() {
    assert_eq!(verify_signature(SECRET, BODY, Some(SIGNATURE)), Ok(()));
    let upper = format!("sha256={}", SIGNATURE["sha256=".len()..].to_uppercase());
    assert_eq!(verify_signature(SECRET, BODY, Some(&upper)), Ok(()), "hex digits in either case");
}

#[test]
fn a_missing_malformed_or_wrong_signature_is_refused() {
    assert_eq!(verify_signature(SECRET, BODY, None), Err(SignatureProblem::Missing));
    let hex = &SIGNATURE["sha256=".len()..];
    for header in [
        "",
        hex,
        &format!("sha1={hex}"),
        &format!("SHA256={hex}"),
        &format!("sha256={}", &hex[..63]),
        &format!("sha256={hex}0"),
        &format!("sha256={}g", &hex[..63]),
        &format!(" sha256={hex}"),
    ] {
        assert_eq!(verify_signature(SECRET, BODY, Some(header)), Err(SignatureProblem::Malformed), "{header:?}");
    }
    assert_eq!(verify_signature(b"another secret", BODY, Some(SIGNATURE)), Err(SignatureProblem::Mismatch));
    assert_eq!(verify_signature(SECRET, b"Hello, World?", Some(SIGNATURE)), Err(SignatureProblem::Mismatch));
    let zeros = format!("sha256={}", "0".repeat(64));
    assert_eq!(verify_signature(SECRET, BODY, Some(&zeros)), Err(SignatureProblem::Mismatch));
    assert_eq!(SignatureProblem::Mismatch.message(), messages::signature_mismatch());
}

fn push(git_ref: &str) -> serde_json::Value {
    json!({
        "ref": git_ref,
        "before": "0000000000000000000000000000000000000001",
        "after": HEAD,
        "deleted": false,
        "head_commit": {"id": HEAD},
        "pusher": {"name": "octocat", "email": "octocat@example.com"},
    })
}

#[test]
fn a_push_to_the_sites_branch_deploys_its_new_head() {
    let delivery = classify("push", &push("refs/heads/main"), "main");
    assert_eq!(
        delivery,
        Delivery::Push { commit: HEAD.into(), pusher: "octocat".into(), git_ref: "refs/heads/main".into() }
    );
    assert!(delivery.deploys() && delivery.ignored_because().is_none());
    let nested = classify("push", &push("refs/heads/release/2026"), "release/2026");
    assert!(nested.deploys(), "{nested:?}");
}

#[test]
fn tags_other_branches_and_deleted_branches_deploy_nothing() {
    let tag = classify("push", &push("refs/tags/v1.0"), "main");
    assert_eq!(tag, Delivery::TagPush { git_ref: "refs/tags/v1.0".into() });
    assert_eq!(tag.ignored_because(), Some(messages::delivery_tag_push("refs/tags/v1.0")));
    let other = classify("push", &push("refs/heads/dev"), "main");
    assert_eq!(other, Delivery::OtherBranch { git_ref: "refs/heads/dev".into() });
    assert_eq!(
        classify("push", &push("refs/heads/main-2"), "main"),
        Delivery::OtherBranch { git_ref: "refs/heads/main-2".into() }
    );
    let deleted = Delivery::BranchDeleted { git_ref: "refs/heads/main".into() };
    let mut flagged = push("refs/heads/main");
    flagged["deleted"] = json!(true);
    let mut zero = push("refs/heads/main");
    zero["after"] = json!("0000000000000000000000000000000000000000");
    let mut no_head = push("refs/heads/main");
    no_head["head_commit"] = json!(null);
    for payload in [flagged, zero, no_head] {
        assert_eq!(classify("push", &payload, "main"), deleted, "{payload}");
    }
    assert!(!deleted.deploys());
    assert_eq!(deleted.ignored_because(), Some(messages::delivery_branch_deleted("refs/heads/main")));
}

#[test]
fn a_ping_and_other_events_deploy_nothing() {
    let ping = classify("ping", &json!({"zen": "Keep it logically awesome.", "hook_id": 42, "hook": {}}), "main");
    assert_eq!(ping, Delivery::Ping { hook_id: Some(42), zen: "Keep it logically awesome.".into() });
    assert_eq!(ping.ignored_because(), Some(messages::delivery_ping()));
    assert_eq!(classify("ping", &json!({}), "main"), Delivery::Ping { hook_id: None, zen: String::new() });
    let issue = classify("issues", &json!({"action": "opened"}), "main");
    assert_eq!(issue, Delivery::Other { event: "issues".into() });
    assert_eq!(issue.ignored_because(), Some(messages::delivery_other_event("issues")));
}

#[test]
fn a_push_without_what_it_needs_is_malformed() {
    let malformed = |field| Delivery::Malformed { event: "push".into(), field };
    assert_eq!(classify("push", &json!({"after": HEAD}), "main"), malformed("ref"));
    let mut short = push("refs/heads/main");
    short["after"] = json!("6113728");
    assert_eq!(classify("push", &short, "main"), malformed("after"));
    let mut anonymous = push("refs/heads/main");
    anonymous.as_object_mut().unwrap().remove("pusher");
    assert_eq!(classify("push", &anonymous, "main"), malformed("pusher.name"));
    assert_eq!(malformed("after").ignored_because(), Some(messages::delivery_malformed("push", "after")));
}
