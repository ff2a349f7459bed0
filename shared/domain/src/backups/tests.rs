use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::{DomainEvent as _, message::Message, testing::given};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

fn spec() -> PlanSpec {
    PlanSpec {
        name: "app-data".into(),
        source: SourceSpec {
            kind: SourceKind::Directory,
            path: Some("/srv/app".into()),
            url: None,
            password_secret: None,
        },
        destination: Destination { kind: "local".into(), path: "/var/backups/lawha".into() },
        schedule: Some("0 3 * * *".into()),
        timezone: "UTC".into(),
        retention: Retention { keep_last: Some(7), keep_days: None, max_total_bytes: None },
        compression_level: 3,
        encryption: None,
    }
}

fn created() -> PlanEvent {
    PlanEvent::BackupPlanCreated { plan_id: Uuid::from_u128(1), spec: spec() }
}

#[test]
fn a_valid_plan_is_created_once() {
    let command = PlanCommand::Create { plan_id: Uuid::from_u128(1), spec: spec() };
    given::<BackupPlan>([]).when(&command, now()).then_expect([created()]);
    given::<BackupPlan>([created()]).when(&command, now()).then_reject(|r| *r == PlanRejection::AlreadyExists);
}

#[test]
fn every_problem_of_a_spec_is_named_with_its_field() {
    let mut bad = spec();
    bad.name = "../etc".into();
    bad.source.path = Some("relative".into());
    bad.destination.path = "backups".into();
    bad.compression_level = 30;
    bad.retention.keep_last = Some(0);
    bad.encryption = Some(Encryption { recipient: "ssh-rsa AAAA".into() });
    let fields: Vec<&str> = bad.problems().into_iter().map(|(field, _)| field).collect();
    assert_eq!(
        fields,
        ["name", "source.path", "destination.path", "compression_level", "retention.keep_last", "encryption.recipient"]
    );
    let command = PlanCommand::Create { plan_id: Uuid::from_u128(1), spec: bad };
    given::<BackupPlan>([]).when(&command, now()).then_reject(
        |r| matches!(r, PlanRejection::Invalid(problems) if problems.iter().any(|(f, _)| *f == "compression_level")),
    );
}

#[test]
fn a_database_source_needs_a_url_and_no_path() {
    let mut db = spec();
    db.source = SourceSpec { kind: SourceKind::Postgres, path: Some("/x".into()), url: None, password_secret: None };
    assert_eq!(db.problems()[0].0, "source.url");
    db.source.path = None;
    db.source.url = Some("postgres://app:***@db/app".into());
    assert!(db.problems().is_empty());
}

#[test]
fn an_unchanged_update_records_nothing_and_a_deleted_plan_refuses_everything() {
    given::<BackupPlan>([created()]).when(&PlanCommand::Update { spec: spec() }, now()).then_expect([]);
    let deleted = [created(), PlanEvent::BackupPlanDeleted {}];
    given::<BackupPlan>(deleted)
        .when(&PlanCommand::Update { spec: spec() }, now())
        .then_reject(|r| *r == PlanRejection::Deleted);
    given::<BackupPlan>([]).when(&PlanCommand::Delete, now()).then_reject(|r| *r == PlanRejection::NotFound);
}

fn requested() -> RunEvent {
    RunEvent::BackupRequested { run_id: Uuid::from_u128(2), plan_id: Uuid::from_u128(1), trigger: Trigger::Manual }
}

fn completed(attempt: u32) -> RunEvent {
    RunEvent::BackupCompleted {
        attempt,
        archive_path: "/b/app-data/x.tar.zst".into(),
        manifest_path: "/b/app-data/x.tar.zst.manifest.json".into(),
        size_bytes: 10,
        source_bytes: 20,
        sha256: "00".into(),
        entries: 3,
        skipped: vec![],
        duration_ms: 5,
    }
}

fn started(attempt: u32) -> RunEvent {
    RunEvent::BackupStarted { attempt, worker: "w".into() }
}

#[test]
fn a_completed_run_takes_no_further_attempt_and_only_then_verifies_restores_and_prunes() {
    let done = [requested(), started(1), completed(1)];
    given::<BackupRun>(done.clone())
        .when(&RunCommand::Record(started(2)), now())
        .then_reject(|r| matches!(r, RunRejection::Stale { .. }));
    given::<BackupRun>(done)
        .when(&RunCommand::Verify { identity_secret: None }, now())
        .then_expect([RunEvent::BackupVerifyRequested { run_id: Uuid::from_u128(2), identity_secret: None }]);
    let pruned =
        [requested(), started(1), completed(1), RunEvent::BackupPruned { reason: Message::text("keep_last 7") }];
    given::<BackupRun>(pruned)
        .when(&RunCommand::Verify { identity_secret: None }, now())
        .then_reject(|r| *r == RunRejection::NoArchive("verify"));
    given::<BackupRun>([requested(), started(1)])
        .when(&RunCommand::Restore { target: RestoreTarget::default(), overwrite: false, identity_secret: None }, now())
        .then_reject(|r| *r == RunRejection::NoArchive("restore"));
}

#[test]
fn a_failed_attempt_can_be_followed_by_a_later_one_but_not_by_an_older_result() {
    let failed = RunEvent::BackupFailed { attempt: 1, error: Message::text("pg_dump failed"), will_retry: true };
    let history = [requested(), started(1), failed];
    let state =
        given::<BackupRun>(history.clone()).when(&RunCommand::Record(started(2)), now()).then_expect([started(2)]);
    assert_eq!(state.status, RunStatus::Running);
    given::<BackupRun>(history)
        .when(&RunCommand::Record(completed(1)), now())
        .then_reject(|r| matches!(r, RunRejection::Stale { what: "a result without its start", .. }));
}

#[test]
fn worker_facts_get_ids_from_the_job_and_requests_round_trip_through_storage() {
    let job = Uuid::from_u128(9);
    assert_eq!(started(1).event_id(job), started(1).event_id(job));
    assert_ne!(started(1).event_id(job), started(2).event_id(job));
    let scheduled = RunEvent::BackupRequested {
        run_id: Uuid::from_u128(2),
        plan_id: Uuid::from_u128(1),
        trigger: Trigger::Schedule { slot: now() },
    };
    let (event_type, data) = scheduled.to_parts();
    assert_eq!(event_type, "BackupRequested");
    assert_eq!(data["trigger"]["kind"], "schedule");
    assert_eq!(data["plan_id"], Uuid::from_u128(1).to_string());
}

#[test]
fn facts_recorded_as_english_text_read_back_as_text_messages() {
    use crate::{Aggregate as _, RecordedEvent, event::Metadata};
    let old = |event_type: &str, data: serde_json::Value| RecordedEvent {
        position: 1,
        event_id: Uuid::nil(),
        stream: BackupRun::stream(Uuid::nil()),
        version: 1,
        event_type: event_type.to_owned(),
        schema_version: 1,
        data,
        metadata: Metadata::default(),
        recorded_at: Utc::now(),
        chain: Vec::new(),
    };
    let failed = old("BackupFailed", serde_json::json!({"attempt": 1, "error": "disk full", "will_retry": false}));
    assert_eq!(
        RunEvent::from_recorded(&failed).unwrap(),
        RunEvent::BackupFailed { attempt: 1, error: Message::text("disk full"), will_retry: false }
    );
    let restored = old("BackupRestored", serde_json::json!({"job_id": Uuid::nil(), "summary": "restored 3 entries"}));
    assert!(matches!(RunEvent::from_recorded(&restored).unwrap(),
        RunEvent::BackupRestored { summary, .. } if summary == Message::text("restored 3 entries")));
    let (event_type, _) = RunEvent::BackupPruned { reason: Message::text("x") }.to_parts();
    assert_eq!(RunEvent::schema_version(&event_type), 2, "new facts are written as schema 2");
    let sealed =
        old("BackupVerifyRequested", serde_json::json!({"run_id": Uuid::nil(), "identity_sealed": "sealed1:x"}));
    assert_eq!(
        RunEvent::from_recorded(&sealed).unwrap(),
        RunEvent::BackupVerifyRequested { run_id: Uuid::nil(), identity_secret: Some("sealed1:x".into()) },
        "a request recorded with its sealed identity reads as before"
    );
    let (_, data) =
        RunEvent::BackupVerifyRequested { run_id: Uuid::nil(), identity_secret: Some("secret:1".into()) }.to_parts();
    assert_eq!(data["identity_secret"], "secret:1", "new requests record a reference");
}
