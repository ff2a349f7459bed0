//! GitHub webhooks, the pure half: whether a delivery was signed with the site's secret, and what it asks for.
//! Reading the request (headers, the raw body, form-encoded bodies' `payload` field), opening the sealed secret
//! and deduplicating deliveries by (hook id, delivery id) are the HTTP layer's.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{checks, messages};
use crate::message::Message;

/// The header GitHub puts its signature in.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    /// No signature header (a hook configured without a secret).
    #[error("the request has no X-Hub-Signature-256 header")]
    Missing,
    /// Not `sha256=` followed by 64 hexadecimal digits.
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hexadecimal digits>")]
    Malformed,
    /// Well formed, but the secret did not make it (another secret, or a changed body).
    #[error("the signature does not match the site's webhook secret")]
    Mismatch,
}

impl SignatureProblem {
    /// What people read.
    pub fn message(self) -> Message {
        match self {
            Self::Missing => messages::signature_missing(),
            Self::Malformed => messages::signature_malformed(),
            Self::Mismatch => messages::signature_mismatch(),
        }
    }
}

/// Checks `header` (the value of `X-Hub-Signature-256`, `sha256=<hex>`) against the HMAC-SHA256 of the raw
/// `body` under `secret`, in constant time.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureProblem> {
    let header = header.ok_or(SignatureProblem::Missing)?;
    let hex_digest = header.strip_prefix("sha256=").filter(|h| h.len() == 64).ok_or(SignatureProblem::Malformed)?;
    let signature = hex::decode(hex_digest).map_err(|_| SignatureProblem::Malformed)?;
    // HMAC takes keys of any length, so this never fails; were it to, nothing would match.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map_err(|_| SignatureProblem::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| SignatureProblem::Mismatch)
}

/// What a delivery asks of a site whose branch is `branch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// GitHub's greeting when the hook is created: answer it, deploy nothing.
    Ping {
        /// The hook's id, when the payload has it.
        hook_id: Option<u64>,
        /// GitHub's aphorism (empty when absent).
        zen: String,
    },
    /// A push to the site's branch: deploy `commit`.
    Push {
        /// The branch's new head (the payload's `after`).
        commit: String,
        /// Who pushed (`pusher.name`).
        pusher: String,
        /// The ref pushed (`refs/heads/<branch>`).
        git_ref: String,
    },
    /// A tag was pushed (or deleted): nothing to deploy.
    TagPush {
        /// The tag's ref.
        git_ref: String,
    },
    /// The site's branch was deleted: nothing to deploy.
    BranchDeleted {
        /// The branch's ref.
        git_ref: String,
    },
    /// A push to another branch: nothing to deploy.
    OtherBranch {
        /// The ref pushed.
        git_ref: String,
    },
    /// Another event than push and ping: nothing to deploy.
    Other {
        /// The event's name (`X-GitHub-Event`).
        event: String,
    },
    /// A push whose payload lacks a field, or holds a value of the wrong shape in it.
    Malformed {
        /// The event's name.
        event: String,
        /// The field (`ref`, `after`, `pusher.name`).
        field: &'static str,
    },
}

impl Delivery {
    /// Whether it asks for a deployment.
    pub fn deploys(&self) -> bool {
        matches!(self, Self::Push { .. })
    }

    /// Why it deploys nothing, for the delivery's record and the answer to GitHub; None for a push.
    pub fn ignored_because(&self) -> Option<Message> {
        Some(match self {
            Self::Push { .. } => return None,
            Self::Ping { .. } => messages::delivery_ping(),
            Self::TagPush { git_ref } => messages::delivery_tag_push(git_ref),
            Self::BranchDeleted { git_ref } => messages::delivery_branch_deleted(git_ref),
            Self::OtherBranch { git_ref } => messages::delivery_other_branch(git_ref),
            Self::Other { event } => messages::delivery_other_event(event),
            Self::Malformed { event, field } => messages::delivery_malformed(event, *field),
        })
    }
}

/// The all-zero object name GitHub sends as `after` when a ref was deleted.
const ZERO_COMMIT: &str = "0000000000000000000000000000000000000000";

/// Classifies a delivery of event `event` (`X-GitHub-Event`) with its JSON `payload`, for a site deploying
/// `branch`. A push is looked at in this order: a tag; another branch than the site's; the site's branch
/// deleted (`deleted: true`, an all-zero `after` or `head_commit: null`); else a push to deploy.
pub fn classify(event: &str, payload: &Value, branch: &str) -> Delivery {
    match event {
        "ping" => Delivery::Ping {
            hook_id: payload.get("hook_id").and_then(Value::as_u64),
            zen: payload.get("zen").and_then(Value::as_str).unwrap_or_default().to_owned(),
        },
        "push" => classify_push(payload, branch),
        other => Delivery::Other { event: other.to_owned() },
    }
}

fn classify_push(payload: &Value, branch: &str) -> Delivery {
    let malformed = |field| Delivery::Malformed { event: "push".to_owned(), field };
    let Some(git_ref) = payload.get("ref").and_then(Value::as_str) else { return malformed("ref") };
    let git_ref = git_ref.to_owned();
    if git_ref.starts_with("refs/tags/") {
        return Delivery::TagPush { git_ref };
    }
    if git_ref.strip_prefix("refs/heads/") != Some(branch) {
        return Delivery::OtherBranch { git_ref };
    }
    let after = payload.get("after").and_then(Value::as_str);
    let deleted = payload.get("deleted").and_then(Value::as_bool) == Some(true)
        || after == Some(ZERO_COMMIT)
        || payload.get("head_commit").is_some_and(Value::is_null);
    if deleted {
        return Delivery::BranchDeleted { git_ref };
    }
    let Some(commit) = after.filter(|a| checks::is_commit(a)) else { return malformed("after") };
    let Some(pusher) = payload.pointer("/pusher/name").and_then(Value::as_str) else {
        return malformed("pusher.name");
    };
    Delivery::Push { commit: commit.to_owned(), pusher: pusher.to_owned(), git_ref }
}
