//! Recurring commands: cron schedules (croner, in UTC or a named time zone) that append `…Requested` events when
//! their slots come, so a recurring backup is asked for exactly like one a person asks for.
//!
//! It owns the slot arithmetic ([`CronSchedule`]), what a schedule is ([`Schedule`]: an id, a cron schedule, the
//! instant before which it never fires and the command it appends), where the scheduler gets its schedules from
//! ([`ScheduleSource`]: the built-ins and, later, backup plans feed one scheduler) and the loop ([`Scheduler`]).
//! A slot's event id derives from the schedule id and the slot time ([`slot_event_id`]), so any number of
//! schedulers may run at once (one per replica, as apalis-cron would fire on every replica) and each slot is still
//! appended once: the second append of the same id is the store's idempotent success. After downtime only the
//! latest missed slot fires, once; earlier ones are skipped, never replayed as a burst.
//!
//! It must never do the work a slot asks for (it appends the request; the dispatcher queues the job), never write
//! a read model, never coordinate replicas by any other means than the deterministic event id (no leader lock, no
//! Redis), and never lose a slot to a failed append: the slot is retried on the next tick.

mod cron;
mod scheduler;

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use lawha_domain::{Metadata, NewEvent, StreamId, event_id_for};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use self::{
    cron::{CronSchedule, ScheduleError},
    scheduler::{Fired, Pass, Scheduler, Totals, run},
};

/// The actor recorded in the metadata of every event the scheduler appends.
pub const ACTOR: &str = "system:scheduler";

/// What a schedule appends for one slot. The scheduler adds `"slot"` to `data` and sets the event id and
/// metadata, so a command cannot get them wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotEvent {
    /// The stream the request goes to (`backup_plan-…`).
    pub stream: StreamId,
    /// The past-tense request type (`BackupRequested`).
    pub event_type: String,
    /// The request's data; an object, so the slot can be added to it. A `"slot"` key is overwritten.
    pub data: Map<String, Value>,
}

/// Builds the event of a slot; called with the slot time, once per slot the scheduler fires.
pub type SlotCommand = Arc<dyn Fn(DateTime<Utc>) -> SlotEvent + Send + Sync>;

/// A recurring command.
#[derive(Clone)]
pub struct Schedule {
    /// Stable across restarts and replicas: slot event ids derive from it.
    pub id: Uuid,
    /// A short, stable name for logs and the `schedule` metric label (few distinct values).
    pub name: String,
    /// When it fires.
    pub cron: CronSchedule,
    /// Slots before this instant never fire: a schedule created at 14:05 does not fire its 14:00 slot.
    pub not_before: DateTime<Utc>,
    /// What it appends for a slot.
    pub command: SlotCommand,
}

impl Schedule {
    /// A schedule from its parts; `command` builds the event of each slot.
    pub fn new(
        id: Uuid,
        name: impl Into<String>,
        cron: CronSchedule,
        not_before: DateTime<Utc>,
        command: impl Fn(DateTime<Utc>) -> SlotEvent + Send + Sync + 'static,
    ) -> Self {
        Self { id, name: name.into(), cron, not_before, command: Arc::new(command) }
    }

    /// The slot due at `now`: the latest one at or before it, unless that is before [`Self::not_before`].
    pub fn due_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.latest_at_or_before(now).filter(|slot| *slot >= self.not_before)
    }

    /// The first slot after `now` that may fire (at or after [`Self::not_before`]).
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Slots are whole seconds and `next_after` is strict, so one nanosecond earlier admits `not_before` itself.
        self.cron.next_after(now.max(self.not_before - TimeDelta::nanoseconds(1)))
    }

    /// The stream and the event this schedule appends for `slot`, with its deterministic id.
    pub fn event_for(&self, slot: DateTime<Utc>) -> (StreamId, NewEvent) {
        let SlotEvent { stream, event_type, mut data } = (self.command)(slot);
        data.insert("slot".to_owned(), Value::String(slot_text(slot)));
        let event = NewEvent {
            event_id: slot_event_id(self.id, slot),
            event_type,
            schema_version: 1,
            data: Value::Object(data),
            metadata: Metadata { actor: Some(ACTOR.to_owned()), ..Metadata::default() },
        };
        (stream, event)
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("cron", &self.cron)
            .field("not_before", &self.not_before)
            .finish_non_exhaustive()
    }
}

/// The id of the event a schedule appends for a slot: UUIDv5 of the schedule id and the slot in RFC 3339 UTC
/// (`2025-03-30T01:00:00Z`). Every scheduler computes the same id for the same slot, so the log keeps one.
pub fn slot_event_id(schedule: Uuid, slot: DateTime<Utc>) -> Uuid {
    event_id_for(schedule, &slot_text(slot))
}

/// A slot as written into event data and into its id: RFC 3339, UTC, `Z`, fractions only when present.
pub fn slot_text(slot: DateTime<Utc>) -> String {
    slot.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Where the scheduler reads its schedules from, on every tick, so added and removed schedules take effect
/// without a restart.
#[async_trait]
pub trait ScheduleSource: Send + Sync + fmt::Debug {
    /// The schedules as they are now.
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>>;
}

/// The built-in schedules: a fixed list.
#[async_trait]
impl ScheduleSource for Vec<Schedule> {
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>> {
        Ok(self.clone())
    }
}

/// Several sources read as one (the built-ins and the backup plans), in order; one failing fails the read.
#[derive(Debug, Clone, Default)]
pub struct Sources(pub Vec<Arc<dyn ScheduleSource>>);

#[async_trait]
impl ScheduleSource for Sources {
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>> {
        let mut all = Vec::new();
        for source in &self.0 {
            all.extend(source.schedules().await?);
        }
        Ok(all)
    }
}

/// Where the scheduler reads the time: the system clock in production, a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told, so tests cross hours of slots without waiting for them.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Shows `at` from now on (it may go backwards, as a stepped system clock can).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the clock by `by`.
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use serde_json::json;

    use super::*;

    fn utc(h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, h, mi, s).single().expect("a valid UTC time")
    }

    fn hourly(not_before: DateTime<Utc>) -> Schedule {
        let cron = CronSchedule::parse("0 * * * *", "UTC").expect("a valid schedule");
        Schedule::new(Uuid::from_u128(7), "hourly", cron, not_before, |_| SlotEvent {
            stream: StreamId::parse("probe-hourly").expect("a valid stream"),
            event_type: "ProbeRequested".into(),
            data: json!({"slot": "overwritten", "kind": "hourly"}).as_object().cloned().unwrap_or_default(),
        })
    }

    #[test]
    fn a_slot_before_not_before_is_never_due() {
        let created_at_five_past = hourly(utc(14, 5, 0));
        assert_eq!(created_at_five_past.due_at(utc(14, 30, 0)), None);
        assert_eq!(created_at_five_past.due_at(utc(15, 0, 0)), Some(utc(15, 0, 0)));
        assert_eq!(created_at_five_past.next_after(utc(12, 0, 0)), Some(utc(15, 0, 0)));
    }

    #[test]
    fn a_slot_exactly_at_not_before_is_due() {
        let created_on_the_hour = hourly(utc(14, 0, 0));
        assert_eq!(created_on_the_hour.due_at(utc(14, 0, 0)), Some(utc(14, 0, 0)));
        assert_eq!(created_on_the_hour.next_after(utc(13, 0, 0)), Some(utc(14, 0, 0)));
    }

    #[test]
    fn the_slot_event_carries_its_slot_the_scheduler_actor_and_the_deterministic_id() {
        let schedule = hourly(utc(0, 0, 0));
        let (stream, event) = schedule.event_for(utc(14, 0, 0));
        assert_eq!(stream.as_str(), "probe-hourly");
        assert_eq!(event.event_type, "ProbeRequested");
        assert_eq!(event.data, json!({"slot": "2025-06-01T14:00:00Z", "kind": "hourly"}));
        assert_eq!(event.metadata.actor.as_deref(), Some(ACTOR));
        assert_eq!(event.event_id, slot_event_id(schedule.id, utc(14, 0, 0)));
    }

    #[test]
    fn slot_event_ids_are_uuid_v5_of_the_schedule_id_and_the_rfc3339_slot() {
        let schedule = Uuid::from_u128(7);
        let id = slot_event_id(schedule, utc(14, 0, 0));
        assert_eq!(id, Uuid::new_v5(&schedule, b"2025-06-01T14:00:00Z"));
        assert_eq!(id.get_version_num(), 5);
        assert_ne!(id, slot_event_id(schedule, utc(15, 0, 0)));
        assert_ne!(id, slot_event_id(Uuid::from_u128(8), utc(14, 0, 0)));
    }

    #[tokio::test]
    async fn sources_read_as_one_list_in_order() {
        let built_in: Arc<dyn ScheduleSource> = Arc::new(vec![hourly(utc(0, 0, 0))]);
        let more: Arc<dyn ScheduleSource> = Arc::new(vec![hourly(utc(1, 0, 0)), hourly(utc(2, 0, 0))]);
        let all = Sources(vec![built_in, more]).schedules().await.expect("reading fixed lists never fails");
        let starts: Vec<_> = all.iter().map(|s| s.not_before).collect();
        assert_eq!(starts, [utc(0, 0, 0), utc(1, 0, 0), utc(2, 0, 0)]);
    }
}
