//! Helpers for the scheduler tests: fixed times, probe schedules, schedulers on a manual clock, and reading back
//! the slots a schedule recorded in the log.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone as _, Utc};
use lawha_domain::{RecordedEvent, StreamId};
use lawha_jobs::schedule::{
    ACTOR, CronSchedule, ManualClock, Schedule, ScheduleSource, Scheduler, SlotEvent, slot_event_id,
};
use lawha_store::{EventFilter, EventStore};
use serde_json::json;
use uuid::Uuid;

/// The request type every test schedule appends.
pub const REQUESTED: &str = "ScheduleProbeRequested";

/// A bound on every wait, so a broken scheduler fails the test instead of hanging it.
pub const LIMIT: Duration = Duration::from_secs(30);

/// How often the loops under test pass.
pub const TICK: Duration = Duration::from_millis(5);

pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.unwrap_or_else(|_| panic!("{what} did not happen within {LIMIT:?}"))
}

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("a valid UTC time")
}

/// 2025-06-01 at h:mi:s UTC.
pub fn june(h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    at(2025, 6, 1, h, mi, s)
}

/// A schedule appending [`REQUESTED`] to a stream of its own.
pub fn schedule(name: &str, expression: &str, zone: &str, not_before: DateTime<Utc>) -> Schedule {
    let id = Uuid::now_v7();
    let cron = CronSchedule::parse(expression, zone).expect("a valid schedule");
    let stream = StreamId::for_entity("schedule_probe", id).expect("a valid stream");
    let name_in_data = name.to_owned();
    Schedule::new(id, name, cron, not_before, move |_slot| SlotEvent {
        stream: stream.clone(),
        event_type: REQUESTED.into(),
        data: json!({"schedule": name_in_data}).as_object().cloned().expect("an object"),
    })
}

pub fn source(schedules: Vec<Schedule>) -> Arc<dyn ScheduleSource> {
    Arc::new(schedules)
}

pub fn scheduler(store: &Arc<dyn EventStore>, schedules: Vec<Schedule>, clock: &Arc<ManualClock>) -> Scheduler {
    Scheduler::new(Arc::clone(store), source(schedules)).with_clock(Arc::clone(clock) as _)
}

/// Every requested event in the log, oldest first.
pub async fn requested(store: &dyn EventStore) -> Vec<RecordedEvent> {
    store.read_all(0, 100_000, &EventFilter::types([REQUESTED])).await.expect("reading the log")
}

/// The slots recorded for `schedule`, oldest first (duplicates kept, so a doubled slot shows).
pub async fn slots_of(store: &dyn EventStore, schedule: &Schedule) -> Vec<DateTime<Utc>> {
    let stream = (schedule.command)(schedule.not_before).stream;
    requested(store)
        .await
        .into_iter()
        .filter(|e| e.stream == stream)
        .map(|e| {
            let slot = e.data["slot"].as_str().expect("the event names its slot");
            let slot = DateTime::parse_from_rfc3339(slot).expect("an RFC 3339 slot").with_timezone(&Utc);
            assert_eq!(e.event_id, slot_event_id(schedule.id, slot), "the event id derives from the slot");
            assert_eq!(e.metadata.actor.as_deref(), Some(ACTOR));
            slot
        })
        .collect()
}

pub async fn wait_for_events(store: &dyn EventStore, count: usize) {
    bounded(&format!("{count} requested events in the log"), async {
        while requested(store).await.len() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}
