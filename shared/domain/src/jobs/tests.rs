use chrono::{TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::testing::given;

fn job(attempt: u32) -> Job {
    Job {
        id: Uuid::from_u128(7),
        kind: "Probe".into(),
        queue: "diagnostics".into(),
        attempt,
        correlation_id: Uuid::from_u128(7),
        payload: json!({"sleep_ms": 0}),
        max_attempts: 3,
        timeout_ms: 1000,
        backoff_ms: 100,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

fn started(attempt: u32) -> JobEvent {
    JobEvent::JobStarted { attempt, worker: "w".into(), job: job(attempt) }
}

fn start(attempt: u32) -> JobCommand {
    JobCommand::Start { job: job(attempt), worker: "w".into() }
}

fn fail(attempt: u32, retryable: bool) -> JobCommand {
    JobCommand::Finish {
        job: job(attempt),
        result: AttemptResult::Failed { error: Message::text("boom"), retryable },
        duration_ms: 5,
        retry_delay_ms: 200,
    }
}

fn failed(attempt: u32, retryable: bool) -> JobEvent {
    JobEvent::JobFailed { attempt, error: Message::text("boom"), retryable, duration_ms: 5 }
}

fn scheduled(attempt: u32) -> JobEvent {
    JobEvent::JobRetryScheduled {
        attempt,
        delay_ms: 200,
        run_at: now() + chrono::Duration::milliseconds(200),
        job: job(attempt),
    }
}

#[test]
fn a_queued_job_starts_its_first_attempt() {
    given::<JobState>([]).when(&start(1), now()).then_expect([started(1)]);
}

#[test]
fn a_success_ends_the_job_and_a_second_copy_of_the_message_is_refused() {
    let done = JobEvent::JobSucceeded { attempt: 1, duration_ms: 5, output: json!(null) };
    let finish = JobCommand::Finish {
        job: job(1),
        result: AttemptResult::Succeeded { output: json!(null) },
        duration_ms: 5,
        retry_delay_ms: 0,
    };
    given::<JobState>([started(1)]).when(&finish, now()).then_expect([done.clone()]);
    given::<JobState>([started(1), done])
        .when(&start(1), now())
        .then_reject(|r| matches!(r, JobRejection::Ended { .. }));
}

#[test]
fn a_retryable_failure_schedules_the_next_attempt_until_the_last_then_dead_letters() {
    given::<JobState>([started(1)]).when(&fail(1, true), now()).then_expect([failed(1, true), scheduled(2)]);
    given::<JobState>([started(1), failed(1, true), scheduled(2)]).when(&start(2), now()).then_expect([started(2)]);
    let history = [started(1), failed(1, true), scheduled(2), started(2), failed(2, true), scheduled(3), started(3)];
    let state = given::<JobState>(history)
        .when(&fail(3, true), now())
        .then_expect([failed(3, true), JobEvent::JobDeadLettered { attempts: 3, error: Message::text("boom") }]);
    assert_eq!(state.status, JobStatus::Dead);
    assert_eq!(state.last_error, Some(Message::text("boom")));
}

#[test]
fn a_permanent_failure_ends_the_job_without_a_retry() {
    let state = given::<JobState>([started(1)]).when(&fail(1, false), now()).then_expect([failed(1, false)]);
    assert_eq!(state.status, JobStatus::Failed);
}

#[test]
fn a_redelivered_running_attempt_counts_as_abandoned_and_the_next_attempt_starts() {
    let abandoned_1 = JobEvent::JobFailed { attempt: 1, error: abandoned(1), retryable: true, duration_ms: 0 };
    given::<JobState>([started(1)]).when(&start(1), now()).then_expect([abandoned_1.clone(), started(2)]);
    // The same message again (attempt 1) while attempt 2 runs: attempt 2 was abandoned too.
    let abandoned_2 = JobEvent::JobFailed { attempt: 2, error: abandoned(2), retryable: true, duration_ms: 0 };
    given::<JobState>([started(1), abandoned_1.clone(), started(2)])
        .when(&start(1), now())
        .then_expect([abandoned_2.clone(), started(3)]);
    // A job that kills its worker every time ends dead instead of looping.
    given::<JobState>([started(1), abandoned_1, started(2), abandoned_2, started(3)])
        .when(&start(1), now())
        .then_expect([
            JobEvent::JobFailed { attempt: 3, error: abandoned(3), retryable: true, duration_ms: 0 },
            JobEvent::JobDeadLettered { attempts: 3, error: abandoned(3) },
        ]);
}

#[test]
fn messages_for_another_attempt_than_the_due_one_are_stale() {
    given::<JobState>([]).when(&start(2), now()).then_reject(|r| *r == JobRejection::Stale { got: 2, due: 1 });
    given::<JobState>([started(1), failed(1, true), scheduled(2)])
        .when(&start(1), now())
        .then_reject(|r| *r == JobRejection::Stale { got: 1, due: 2 });
}

#[test]
fn the_late_failure_of_an_abandoned_attempt_changes_nothing_but_its_success_counts() {
    let history = [
        started(1),
        JobEvent::JobFailed { attempt: 1, error: abandoned(1), retryable: true, duration_ms: 0 },
        started(2),
    ];
    given::<JobState>(history.clone()).when(&fail(1, true), now()).then_expect([]);
    let finish = JobCommand::Finish {
        job: job(1),
        result: AttemptResult::Succeeded { output: json!(1) },
        duration_ms: 9,
        retry_delay_ms: 0,
    };
    given::<JobState>(history).when(&finish, now()).then_expect([JobEvent::JobSucceeded {
        attempt: 1,
        duration_ms: 9,
        output: json!(1),
    }]);
}

#[test]
fn only_failed_and_dead_jobs_are_retried_by_hand_with_the_next_attempt() {
    let dead = [started(1), failed(1, true), JobEvent::JobDeadLettered { attempts: 1, error: Message::text("boom") }];
    let state = given::<JobState>(dead)
        .when(&JobCommand::Retry, now())
        .then_expect([JobEvent::JobRetryRequested { attempt: 2, job: job(2) }]);
    assert_eq!(state.status, JobStatus::Waiting { attempt: 2 });
    given::<JobState>([started(1), failed(1, false)])
        .when(&JobCommand::Retry, now())
        .then_expect([JobEvent::JobRetryRequested { attempt: 2, job: job(2) }]);
    given::<JobState>([started(1)])
        .when(&JobCommand::Retry, now())
        .then_reject(|r| *r == JobRejection::NotRetryable { status: "running" });
    given::<JobState>([JobEvent::JobDispatchFailed {
        requested_by: "XRequested".into(),
        error: Message::text("unknown"),
    }])
    .when(&JobCommand::Retry, now())
    .then_reject(|r| matches!(r, JobRejection::NeverQueued { .. }));
}

#[test]
fn worker_facts_have_ids_derived_from_job_and_step() {
    let id = Uuid::now_v7();
    assert_eq!(started(1).event_id(id), started(1).event_id(id));
    assert_ne!(started(1).event_id(id), started(2).event_id(id));
    assert_ne!(failed(1, true).event_id(id), started(1).event_id(id));
    let retry = JobEvent::JobRetryRequested { attempt: 2, job: job(2) };
    assert_ne!(retry.event_id(id), retry.event_id(id), "a retry by hand is a new command each time");
}

#[test]
fn retry_delays_double_from_the_backoff_within_a_quarter_of_jitter_and_are_capped() {
    assert_eq!(retry_delay_ms(1000, 2, 0.5), 1000);
    assert_eq!(retry_delay_ms(1000, 3, 0.5), 2000);
    assert_eq!(retry_delay_ms(1000, 4, 0.5), 4000);
    assert_eq!(retry_delay_ms(1000, 2, 0.0), 750);
    assert_eq!(retry_delay_ms(1000, 2, 1.0), 1250);
    assert_eq!(retry_delay_ms(1000, 40, 0.5), 3_600_000);
}

#[test]
fn the_contract_round_trips_through_json() {
    let text = serde_json::to_string(&job(2)).unwrap();
    assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job(2));
}

#[test]
fn errors_recorded_as_english_text_read_back_as_text_messages() {
    let recorded = crate::RecordedEvent {
        position: 7,
        event_id: Uuid::nil(),
        stream: crate::StreamId::parse("job-1").unwrap(),
        version: 2,
        event_type: "JobDeadLettered".into(),
        schema_version: 1,
        data: json!({"attempts": 3, "error": "boom 3"}),
        metadata: crate::Metadata::default(),
        recorded_at: Utc::now(),
        chain: Vec::new(),
    };
    let event = JobEvent::from_recorded(&recorded).unwrap();
    assert_eq!(event, JobEvent::JobDeadLettered { attempts: 3, error: Message::text("boom 3") });
    assert_eq!(JobEvent::schema_version("JobDeadLettered"), 2);
    assert_eq!(JobEvent::schema_version("JobStarted"), 1);
}
