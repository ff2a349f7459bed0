//! The one registration list of job kinds: which event asks for each kind, the queue it travels on, and the
//! limits the runtime enforces (attempts, timeout, backoff). The dispatcher, the runtime and the jobs read model
//! all read this list, so a kind exists in one place.

use std::time::Duration;

use lawha_domain::{Message, RecordedEvent, jobs::Job};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::messages;

/// The queues of fixed names. Deployments travel on `deployments.<host>` ([`queue_of_host`]), one queue per host a
/// site runs on; those are known from the hosts that serve them ([`crate::queue::Queues::known`]).
pub const QUEUES: &[&str] = &[ADMIN, DIAGNOSTICS, BACKUPS];

/// Administration jobs, always served inside the API process (they need its projections).
pub const ADMIN: &str = "admin";
/// Probe jobs that check the pipeline end to end.
pub const DIAGNOSTICS: &str = "diagnostics";
/// Backups (`lawha-backup-worker`).
pub const BACKUPS: &str = "backups";
/// The family of the per-host deployment queues (`deployments.<host>`, served by each host's
/// `lawha-deploy-worker`).
pub const DEPLOYMENTS: &str = "deployments";
/// The family of the per-host certificate queues (`certificates.<host>`, served by each host's
/// `lawha-cert-worker`).
pub const CERTIFICATES: &str = "certificates";

/// The queue of `family` for `host`: `deployments.web2`.
pub fn queue_of_host(family: &str, host: &str) -> String {
    format!("{family}.{host}")
}

/// One kind of job.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    /// The kind's name, a verb (`VerifyAuditChain`).
    pub kind: &'static str,
    /// The event type that asks for it (`AuditChainVerifyRequested`).
    pub requested_by: &'static str,
    /// The queue it travels on; for a kind that is [`KindSpec::per_host`], the family of its queues.
    pub queue: &'static str,
    /// Whether each job goes to the queue of the host its request names (`<queue>.<host>`, the request's `host`).
    pub per_host: bool,
    /// Attempts before the job is dead-lettered.
    pub max_attempts: u32,
    /// How long one attempt may run.
    pub timeout: Duration,
    /// The first retry delay; it doubles with each retry.
    pub backoff: Duration,
    /// Whether the request may set its own limits (`limits` in its data): only probes, which exist to exercise
    /// retries and timeouts.
    pub own_limits: bool,
    /// Builds the payload from the requesting event's data, refusing what the handler could not run.
    pub payload: fn(&Value) -> Result<Value, Message>,
}

/// Every kind. Add a kind here, give it a handler in the process that serves its queue, and it is dispatched,
/// run, retried, shown and counted.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "VerifyAuditChain",
        requested_by: "AuditChainVerifyRequested",
        queue: ADMIN,
        max_attempts: 3,
        timeout: Duration::from_secs(30 * 60),
        backoff: Duration::from_secs(30),
        own_limits: false,
        per_host: false,
        payload: no_payload,
    },
    KindSpec {
        kind: "RebuildProjection",
        requested_by: "ProjectionRebuildRequested",
        queue: ADMIN,
        max_attempts: 3,
        timeout: Duration::from_secs(60 * 60),
        backoff: Duration::from_secs(30),
        own_limits: false,
        per_host: false,
        payload: projection_payload,
    },
    KindSpec {
        kind: "Probe",
        requested_by: "ProbeRequested",
        queue: DIAGNOSTICS,
        max_attempts: 3,
        timeout: Duration::from_secs(10 * 60),
        backoff: Duration::from_secs(1),
        own_limits: true,
        per_host: false,
        payload: probe_payload,
    },
    KindSpec {
        kind: "RunBackup",
        requested_by: "BackupRequested",
        queue: BACKUPS,
        max_attempts: 3,
        timeout: Duration::from_secs(6 * 60 * 60),
        backoff: Duration::from_secs(60),
        own_limits: false,
        per_host: false,
        payload: run_payload,
    },
    KindSpec {
        kind: "VerifyBackup",
        requested_by: "BackupVerifyRequested",
        queue: BACKUPS,
        max_attempts: 2,
        timeout: Duration::from_secs(2 * 60 * 60),
        backoff: Duration::from_secs(30),
        own_limits: false,
        per_host: false,
        payload: run_only_payload,
    },
    KindSpec {
        kind: "RestoreBackup",
        requested_by: "BackupRestoreRequested",
        queue: BACKUPS,
        max_attempts: 2,
        timeout: Duration::from_secs(6 * 60 * 60),
        backoff: Duration::from_secs(60),
        own_limits: false,
        per_host: false,
        payload: run_only_payload,
    },
    KindSpec {
        kind: "Deploy",
        requested_by: "DeploymentRequested",
        queue: DEPLOYMENTS,
        max_attempts: 3,
        timeout: Duration::from_secs(60 * 60),
        backoff: Duration::from_secs(30),
        own_limits: false,
        per_host: true,
        payload: deployment_payload,
    },
    KindSpec {
        kind: "IssueCertificate",
        requested_by: "CertificateRequested",
        queue: CERTIFICATES,
        max_attempts: 3,
        timeout: Duration::from_secs(15 * 60),
        backoff: Duration::from_secs(60),
        own_limits: false,
        per_host: true,
        payload: certificate_payload,
    },
    KindSpec {
        kind: "RenewCertificate",
        requested_by: "CertificateRenewalRequested",
        queue: CERTIFICATES,
        max_attempts: 3,
        timeout: Duration::from_secs(15 * 60),
        backoff: Duration::from_secs(60),
        own_limits: false,
        per_host: true,
        payload: certificate_payload,
    },
];

/// The kind a requesting event type asks for.
pub fn by_request(event_type: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.requested_by == event_type)
}

/// A kind by name.
pub fn by_kind(kind: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Whether an event type asks for work: the dispatcher looks at every `…Requested` event, and one no kind
/// answers becomes a `JobDispatchFailed` instead of waiting silently.
pub fn is_request(event_type: &str) -> bool {
    event_type.ends_with("Requested") && !matches!(event_type, "JobRetryRequested")
}

/// The first message of the job a requesting event asks for, or why there is none.
pub fn job_for(event: &RecordedEvent) -> Result<Job, Message> {
    let correlation_id = event.metadata.correlation_id.unwrap_or(event.event_id);
    build(&event.event_type, event.event_id, correlation_id, &event.data)
}

/// Checks the data of a request the way the dispatcher will, so a command can refuse up front (422) what would
/// otherwise only become a `JobDispatchFailed` once appended.
pub fn check_request(event_type: &str, data: &Value) -> Result<(), Message> {
    build(event_type, Uuid::nil(), Uuid::nil(), data).map(|_| ())
}

fn build(event_type: &str, id: Uuid, correlation_id: Uuid, data: &Value) -> Result<Job, Message> {
    let spec = by_request(event_type).ok_or_else(|| messages::no_kind(event_type))?;
    let payload = (spec.payload)(data).map_err(|e| messages::request_refused(spec.kind, e))?;
    let queue = queue_for(spec, data).map_err(|e| messages::request_refused(spec.kind, e))?;
    let mut job = Job {
        id,
        kind: spec.kind.to_owned(),
        queue,
        attempt: 1,
        correlation_id,
        payload,
        max_attempts: spec.max_attempts,
        timeout_ms: millis(spec.timeout),
        backoff_ms: millis(spec.backoff),
    };
    if spec.own_limits
        && let Some(limits) = data.get("limits")
    {
        apply_limits(&mut job, limits)?;
    }
    Ok(job)
}

/// The queue a request of `spec` goes to: the kind's, or for a per-host kind the one of the host it names.
pub fn queue_for(spec: &KindSpec, data: &Value) -> Result<String, Message> {
    if !spec.per_host {
        return Ok(spec.queue.to_owned());
    }
    match data.get("host").and_then(Value::as_str) {
        Some(host) if lawha_domain::hosts::is_host_name(host) => Ok(queue_of_host(spec.queue, host)),
        _ => Err(messages::field_invalid("host")),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A request's own limits, each within bounds that keep a probe from tying up a worker for long.
fn apply_limits(job: &mut Job, limits: &Value) -> Result<(), Message> {
    let field = |name: &str, min: u64, max: u64| -> Result<Option<u64>, Message> {
        match limits.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(messages::limit_range(format!("limits.{name}"), min.to_string(), max.to_string())),
            },
        }
    };
    if let Some(n) = field("max_attempts", 1, 10)? {
        job.max_attempts = u32::try_from(n).unwrap_or(10);
    }
    if let Some(n) = field("timeout_ms", 10, 600_000)? {
        job.timeout_ms = n;
    }
    if let Some(n) = field("backoff_ms", 10, 60_000)? {
        job.backoff_ms = n;
    }
    Ok(())
}

fn no_payload(_: &Value) -> Result<Value, Message> {
    Ok(json!({}))
}

fn projection_payload(data: &Value) -> Result<Value, Message> {
    match data.get("projection").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => Ok(json!({ "projection": name })),
        _ => Err(messages::no_projection()),
    }
}

/// A uuid field of a request's data.
fn uuid_field(data: &Value, name: &str) -> Result<Uuid, Message> {
    data.get(name)
        .and_then(Value::as_str)
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| messages::field_invalid(name))
}

/// A backup run: the run and its plan; the handler reads the plan's spec when it runs.
fn run_payload(data: &Value) -> Result<Value, Message> {
    Ok(json!({ "run_id": uuid_field(data, "run_id")?, "plan_id": uuid_field(data, "plan_id")? }))
}

/// A verification or restore of a run: the run only; the handler reads the request (target, sealed identity)
/// from the requesting event, so nothing secret travels on the queue.
fn run_only_payload(data: &Value) -> Result<Value, Message> {
    Ok(json!({ "run_id": uuid_field(data, "run_id")? }))
}

/// A deployment: the deployment and its site; the handler reads the site's spec and the deployment's progress
/// when it runs. The queue is the one of the site's host ([`queue_for`]).
fn deployment_payload(data: &Value) -> Result<Value, Message> {
    Ok(json!({ "deployment_id": uuid_field(data, "deployment_id")?, "site_id": uuid_field(data, "site_id")? }))
}

/// An order of a certificate (its first or a renewal): the certificate only; the handler reads its spec and
/// state from its stream. The queue is the one of the certificate's host ([`queue_for`]).
fn certificate_payload(data: &Value) -> Result<Value, Message> {
    Ok(json!({ "certificate_id": uuid_field(data, "certificate_id")? }))
}

/// What a probe does: sleep, then succeed, fail (retryably or not) or panic.
pub fn probe_payload(data: &Value) -> Result<Value, Message> {
    let sleep_ms = match data.get("sleep_ms") {
        None | Some(Value::Null) => 0,
        Some(v) => {
            v.as_u64().filter(|n| *n <= 600_000).ok_or_else(|| messages::limit_range("sleep_ms", "0", "600000"))?
        }
    };
    let outcome = data.get("outcome").and_then(Value::as_str).unwrap_or("succeed");
    if !PROBE_OUTCOMES.contains(&outcome) {
        return Err(messages::outcome_invalid(PROBE_OUTCOMES.join(", ")));
    }
    Ok(json!({ "sleep_ms": sleep_ms, "outcome": outcome }))
}

/// The outcomes a probe can be asked for.
pub const PROBE_OUTCOMES: &[&str] = &["succeed", "fail", "fail_permanently", "panic"];

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use lawha_domain::{Metadata, StreamId};
    use uuid::Uuid;

    use super::*;

    fn requested(event_type: &str, data: Value) -> RecordedEvent {
        RecordedEvent {
            position: 1,
            event_id: Uuid::now_v7(),
            stream: StreamId::parse("probe-1").unwrap(),
            version: 1,
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: Metadata::default(),
            recorded_at: Utc::now(),
            chain: vec![],
        }
    }

    #[test]
    fn every_kind_has_a_known_queue_and_one_requesting_event() {
        for spec in KINDS {
            let family = [DEPLOYMENTS, CERTIFICATES].contains(&spec.queue);
            assert!(QUEUES.contains(&spec.queue) || (spec.per_host && family), "{}", spec.kind);
            assert!(is_request(spec.requested_by), "{}", spec.kind);
            assert_eq!(KINDS.iter().filter(|k| k.requested_by == spec.requested_by).count(), 1);
            assert_eq!(by_kind(spec.kind).map(|k| k.kind), Some(spec.kind));
        }
    }

    #[test]
    fn a_request_becomes_the_first_attempt_of_a_job_with_the_event_id() {
        let event = requested("ProjectionRebuildRequested", json!({"projection": "audit_log"}));
        let job = job_for(&event).unwrap();
        assert_eq!(
            (job.id, job.kind.as_str(), job.queue.as_str(), job.attempt),
            (event.event_id, "RebuildProjection", "admin", 1)
        );
        assert_eq!(job.correlation_id, event.event_id);
        assert_eq!(job.payload, json!({"projection": "audit_log"}));
        assert_eq!((job.max_attempts, job.timeout_ms, job.backoff_ms), (3, 3_600_000, 30_000));
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_are_refused_with_a_reason() {
        let err = job_for(&requested("TeleportRequested", json!({}))).unwrap_err();
        assert_eq!(err, messages::no_kind("TeleportRequested"));
        let err = job_for(&requested("ProjectionRebuildRequested", json!({}))).unwrap_err();
        assert_eq!(err, messages::request_refused("RebuildProjection", messages::no_projection()));
        let err = job_for(&requested("ProbeRequested", json!({"outcome": "explode"}))).unwrap_err();
        assert_eq!(err, messages::request_refused("Probe", messages::outcome_invalid(PROBE_OUTCOMES.join(", "))));
    }

    #[test]
    fn only_probes_set_their_own_limits_within_bounds() {
        let probe = requested("ProbeRequested", json!({"limits": {"max_attempts": 5, "backoff_ms": 50}}));
        let job = job_for(&probe).unwrap();
        assert_eq!((job.max_attempts, job.backoff_ms, job.timeout_ms), (5, 50, 600_000));
        let bad = requested("ProbeRequested", json!({"limits": {"max_attempts": 0}}));
        assert_eq!(job_for(&bad).unwrap_err(), messages::limit_range("limits.max_attempts", "1", "10"));
        let audit = requested("AuditChainVerifyRequested", json!({"limits": {"max_attempts": 9}}));
        assert_eq!(job_for(&audit).unwrap().max_attempts, 3);
    }

    #[test]
    fn a_request_is_checked_up_front_as_the_dispatcher_will() {
        assert_eq!(check_request("ProbeRequested", &json!({"sleep_ms": 10, "outcome": "fail"})), Ok(()));
        let err = check_request("ProbeRequested", &json!({"limits": {"timeout_ms": 1}})).unwrap_err();
        assert_eq!(err, messages::limit_range("limits.timeout_ms", "10", "600000"));
        assert!(check_request("ProbeRequested", &json!({"sleep_ms": -1})).is_err());
        assert!(check_request("TeleportRequested", &json!({})).is_err());
    }

    #[test]
    fn a_deployment_goes_to_the_queue_of_its_host() {
        let (deployment, site) = (Uuid::now_v7(), Uuid::now_v7());
        let data = |host: &str| {
            json!({"deployment_id": deployment, "site_id": site, "host": host, "commit": null,
                   "trigger": {"kind": "manual", "actor": "user:admin"}})
        };
        let job = job_for(&requested("DeploymentRequested", data("local"))).unwrap();
        assert_eq!((job.kind.as_str(), job.queue.as_str()), ("Deploy", "deployments.local"));
        assert_eq!(job.payload, json!({"deployment_id": deployment, "site_id": site}));
        assert_eq!((job.max_attempts, job.timeout_ms, job.backoff_ms), (3, 3_600_000, 30_000));
        let job = job_for(&requested("DeploymentRequested", data("web-2"))).unwrap();
        assert_eq!(job.queue, "deployments.web-2");

        for host in ["", "Web", "a b", "-x", "a.b"] {
            let err = job_for(&requested("DeploymentRequested", data(host))).unwrap_err();
            assert_eq!(err, messages::request_refused("Deploy", messages::field_invalid("host")), "{host:?}");
        }
        let err = check_request("DeploymentRequested", &json!({"deployment_id": deployment, "host": "local"}));
        assert_eq!(err, Err(messages::request_refused("Deploy", messages::field_invalid("site_id"))));
    }

    #[test]
    fn a_certificate_order_goes_to_the_queue_of_its_host() {
        let id = Uuid::now_v7();
        let data = json!({"certificate_id": id, "host": "web-2", "trigger": {"kind": "schedule"}, "forced": false});
        let job = job_for(&requested("CertificateRenewalRequested", data)).unwrap();
        assert_eq!((job.kind.as_str(), job.queue.as_str()), ("RenewCertificate", "certificates.web-2"));
        assert_eq!(job.payload, json!({"certificate_id": id}));
        let err = check_request("CertificateRequested", &json!({"certificate_id": id})).unwrap_err();
        assert_eq!(err, messages::request_refused("IssueCertificate", messages::field_invalid("host")));
    }

    #[test]
    fn job_retry_requests_are_not_new_requests() {
        assert!(!is_request("JobRetryRequested"));
        assert!(is_request("BackupRequested"));
        assert!(!is_request("BackupCompleted"));
    }
}
