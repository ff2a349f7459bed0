//! Recurring commands against a real event store: the behaviours that touch the log run on PostgreSQL and SQLite
//! (a fresh database each, through the store's test kit); the slot arithmetic and parsing need no database.
//!
//! Time is a [`ManualClock`], so hours of slots pass in milliseconds; the loops tick every few milliseconds.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use lawha_jobs::schedule::{
    ACTOR, Clock as _, CronSchedule, ManualClock, Schedule, ScheduleError, ScheduleSource, Scheduler, SlotEvent,
    slot_event_id,
};
use lawha_store::{
    AppendError, Appended, EventFilter, EventStore, RawEvent, StoreError,
    testkit::{self, TestDb},
};
use serde_json::json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

lawha_store::on_both_backends!(
    two_schedulers_running_at_once_append_each_slot_exactly_once,
    a_scheduler_started_after_downtime_appends_only_the_latest_missed_slot_once,
    a_scheduler_that_missed_several_slots_skips_all_but_the_latest,
    slots_before_not_before_never_fire,
    a_new_slot_fires_when_the_clock_passes_it,
    a_failed_append_is_retried_on_the_next_tick,
    a_failing_source_keeps_the_schedules_it_listed_before,
    a_daily_0230_berlin_schedule_fires_once_on_each_daylight_saving_night,
);

/// The request type every test schedule appends.
const REQUESTED: &str = "ScheduleProbeRequested";

/// A bound on every wait, so a broken scheduler fails the test instead of hanging it.
const LIMIT: Duration = Duration::from_secs(30);

/// How often the loops under test pass.
const TICK: Duration = Duration::from_millis(5);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future).await.unwrap_or_else(|_| panic!("{what} did not happen within {LIMIT:?}"))
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("a valid UTC time")
}

/// 2025-06-01 at h:mi:s UTC.
fn june(h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    at(2025, 6, 1, h, mi, s)
}

/// A schedule appending [`REQUESTED`] to a stream of its own.
fn schedule(name: &str, expression: &str, zone: &str, not_before: DateTime<Utc>) -> Schedule {
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

fn source(schedules: Vec<Schedule>) -> Arc<dyn ScheduleSource> {
    Arc::new(schedules)
}

fn scheduler(store: &Arc<dyn EventStore>, schedules: Vec<Schedule>, clock: &Arc<ManualClock>) -> Scheduler {
    Scheduler::new(Arc::clone(store), source(schedules)).with_clock(Arc::clone(clock) as _)
}

/// Every requested event in the log, oldest first.
async fn requested(store: &dyn EventStore) -> Vec<RecordedEvent> {
    store.read_all(0, 100_000, &EventFilter::types([REQUESTED])).await.expect("reading the log")
}

/// The slots recorded for `schedule`, oldest first (duplicates kept, so a doubled slot shows).
async fn slots_of(store: &dyn EventStore, schedule: &Schedule) -> Vec<DateTime<Utc>> {
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

async fn wait_for_events(store: &dyn EventStore, count: usize) {
    bounded(&format!("{count} requested events in the log"), async {
        while requested(store).await.len() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

async fn two_schedulers_running_at_once_append_each_slot_exactly_once(t: TestDb) {
    // Arrange: two processes, each with its own connection pool to the one database, on one clock.
    let second = testkit::connect_url(&t.url).await;
    let clock = Arc::new(ManualClock::new(june(10, 0, 30)));
    let minutely = schedule("minutely", "* * * * *", "UTC", june(10, 0, 0));
    let five = schedule("five", "*/5 * * * *", "UTC", june(10, 0, 0));
    let schedules = vec![minutely.clone(), five.clone()];
    let stop = CancellationToken::new();
    let a = tokio::spawn(scheduler(&t.db.events, schedules.clone(), &clock).run(stop.clone(), TICK));
    let b = tokio::spawn(scheduler(&second.events, schedules, &clock).run(stop.clone(), TICK));

    // Act: walk the clock through twelve minutes, waiting each time until the minute's slots are in the log.
    for minute in 0..12 {
        clock.set(june(10, minute, 30));
        let expected = (minute + 1) as usize + (minute / 5 + 1) as usize;
        wait_for_events(t.db.events.as_ref(), expected).await;
    }
    // Let both loops pass over the last minute (the clock stays there), so each meets its slots.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    let (a, b) = (bounded("scheduler a to stop", a).await.unwrap(), bounded("scheduler b to stop", b).await.unwrap());

    // Assert: each slot once, and the two schedulers together wrote exactly what the log holds.
    let store = t.db.events.as_ref();
    let minutes: Vec<_> = (0..12).map(|m| june(10, m, 0)).collect();
    assert_eq!(slots_of(store, &minutely).await, minutes);
    assert_eq!(slots_of(store, &five).await, [june(10, 0, 0), june(10, 5, 0), june(10, 10, 0)]);
    assert_eq!(requested(store).await.len(), 15);
    assert_eq!(a.appended + b.appended, 15, "a: {a:?}, b: {b:?}");
    assert_eq!(a.failed + b.failed, 0, "a: {a:?}, b: {b:?}");
    // Both met the last minute's two slots; whichever came second found them appended: the path under test.
    assert!(a.already_applied + b.already_applied >= 2, "a: {a:?}, b: {b:?}");
}

async fn a_scheduler_started_after_downtime_appends_only_the_latest_missed_slot_once(t: TestDb) {
    // Arrange: an hourly schedule created at 09:05; nothing ran until 14:30 (10:00 to 14:00 missed).
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 5, 0));
    let clock = Arc::new(ManualClock::new(june(14, 30, 0)));
    let mut started = scheduler(&t.db.events, vec![hourly.clone()], &clock);

    // Act: the first pass at start, then another in the same hour.
    let first = started.pass().await;
    let again = started.pass().await;

    // Assert: 14:00 once; the earlier missed slots are not replayed.
    assert_eq!(first.fired.len(), 1);
    assert!(!first.fired[0].already_applied);
    assert!(again.fired.is_empty(), "{again:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0)]);

    // A restart within the hour appends the same slot again, which the log already holds: still once.
    clock.set(june(14, 40, 0));
    let restarted = scheduler(&t.db.events, vec![hourly.clone()], &clock).pass().await;
    assert_eq!(restarted.fired.len(), 1);
    assert!(restarted.fired[0].already_applied, "{restarted:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0)]);
}

async fn a_scheduler_that_missed_several_slots_skips_all_but_the_latest(t: TestDb) {
    // Arrange: a scheduler that fired 14:00, then stood still (suspended, or its appends failing) until 18:10.
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 0, 0));
    let clock = Arc::new(ManualClock::new(june(14, 0, 5)));
    let mut running = scheduler(&t.db.events, vec![hourly.clone()], &clock);
    running.pass().await;

    // Act
    clock.set(june(18, 10, 0));
    let resumed = running.pass().await;

    // Assert: 18:00 fires once; 15:00, 16:00 and 17:00 are counted as skipped, not appended.
    assert_eq!(resumed.skipped, 3, "{resumed:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0), june(18, 0, 0)]);
}

async fn slots_before_not_before_never_fire(t: TestDb) {
    // Arrange: created at 14:05, so its 14:00 slot is not its own.
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(14, 5, 0));
    let clock = Arc::new(ManualClock::new(june(14, 30, 0)));
    let mut scheduler = scheduler(&t.db.events, vec![hourly.clone()], &clock);

    // Act
    let before = scheduler.pass().await;
    clock.set(june(15, 0, 1));
    let after = scheduler.pass().await;

    // Assert: nothing at 14:30 (the next slot is 15:00), then 15:00.
    assert!(before.fired.is_empty(), "{before:?}");
    assert_eq!(before.next_slot, Some(june(15, 0, 0)));
    assert_eq!(after.fired.len(), 1);
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(15, 0, 0)]);
}

async fn a_new_slot_fires_when_the_clock_passes_it(t: TestDb) {
    // Arrange: a running loop, half a second before a slot.
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(14, 30, 0));
    let clock = Arc::new(ManualClock::new(june(14, 59, 59) + TimeDelta::milliseconds(500)));
    let stop = CancellationToken::new();
    let running = tokio::spawn(scheduler(&t.db.events, vec![hourly.clone()], &clock).run(stop.clone(), TICK));
    tokio::time::sleep(TICK * 20).await;
    assert!(slots_of(t.db.events.as_ref(), &hourly).await.is_empty(), "nothing is due before 15:00");

    // Act
    clock.set(june(15, 0, 0));
    wait_for_events(t.db.events.as_ref(), 1).await;
    clock.set(june(15, 59, 59));
    tokio::time::sleep(TICK * 20).await;
    stop.cancel();
    let totals = bounded("the scheduler to stop", running).await.unwrap();

    // Assert
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(15, 0, 0)]);
    assert_eq!(totals.appended, 1, "{totals:?}");
}

async fn a_failed_append_is_retried_on_the_next_tick(t: TestDb) {
    // Arrange: a store whose next two appends fail.
    let flaky = Arc::new(FlakyStore { inner: Arc::clone(&t.db.events), failures_left: AtomicUsize::new(2) });
    let store: Arc<dyn EventStore> = flaky.clone();
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 0, 0));
    let clock = Arc::new(ManualClock::new(june(14, 0, 10)));
    let mut scheduler = scheduler(&store, vec![hourly.clone()], &clock);

    // Act
    let first = scheduler.pass().await;
    let second = scheduler.pass().await;
    let third = scheduler.pass().await;

    // Assert: the slot is neither lost nor doubled.
    assert_eq!((first.failed.len(), second.failed.len()), (1, 1));
    assert_eq!(third.fired.len(), 1, "{third:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0)]);
}

async fn a_failing_source_keeps_the_schedules_it_listed_before(t: TestDb) {
    // Arrange
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 0, 0));
    let source = Arc::new(SwitchableSource { schedules: vec![hourly.clone()], failing: AtomicBool::new(false) });
    let clock = Arc::new(ManualClock::new(june(14, 0, 10)));
    let mut scheduler = Scheduler::new(Arc::clone(&t.db.events), source.clone()).with_clock(Arc::clone(&clock) as _);
    scheduler.pass().await;

    // Act: the source fails from now on.
    source.failing.store(true, Ordering::SeqCst);
    clock.set(june(15, 0, 10));
    let pass = scheduler.pass().await;

    // Assert
    assert_eq!(pass.fired.len(), 1, "{pass:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0), june(15, 0, 0)]);
}

async fn a_daily_0230_berlin_schedule_fires_once_on_each_daylight_saving_night(t: TestDb) {
    for (night, expected) in [
        // Spring forward: 02:30 does not exist; croner fires at the first instant after the gap, 03:00 CEST.
        ((2025, 3, 29), at(2025, 3, 30, 1, 0, 0)),
        // Fall back: 02:30 happens twice; croner fires once, on the first pass (02:30 CEST).
        ((2025, 10, 25), at(2025, 10, 26, 0, 30, 0)),
    ] {
        // Arrange: from 22:00 UTC the evening before to 06:00 UTC, in steps of ten minutes.
        let (y, m, d) = night;
        let start = at(y, m, d, 22, 0, 0);
        let daily = schedule("daily", "30 2 * * *", "Europe/Berlin", start);
        let clock = Arc::new(ManualClock::new(start));
        let mut scheduler = scheduler(&t.db.events, vec![daily.clone()], &clock);

        // Act
        while clock.now() < start + TimeDelta::hours(8) {
            scheduler.pass().await;
            clock.advance(TimeDelta::minutes(10));
        }

        // Assert
        assert_eq!(slots_of(t.db.events.as_ref(), &daily).await, [expected], "the night of {night:?}");
    }
}

#[test]
fn a_daily_0230_schedule_on_the_spring_forward_day_fires_at_the_end_of_the_gap() {
    // Europe/Berlin, 2025-03-30: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    let berlin = CronSchedule::parse("30 2 * * *", "Europe/Berlin").unwrap();
    assert_eq!(berlin.next_after(at(2025, 3, 29, 12, 0, 0)), Some(at(2025, 3, 30, 1, 0, 0)));
    assert_eq!(berlin.next_after(at(2025, 3, 30, 1, 0, 0)), Some(at(2025, 3, 31, 0, 30, 0)));
    assert_eq!(berlin.latest_at_or_before(at(2025, 3, 30, 0, 59, 59)), Some(at(2025, 3, 29, 1, 30, 0)));
    assert_eq!(berlin.latest_at_or_before(at(2025, 3, 30, 1, 30, 0)), Some(at(2025, 3, 30, 1, 0, 0)));
    // America/New_York, 2025-03-09: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    let new_york = CronSchedule::parse("30 2 * * *", "America/New_York").unwrap();
    assert_eq!(new_york.next_after(at(2025, 3, 8, 12, 0, 0)), Some(at(2025, 3, 9, 7, 0, 0)));
    assert_eq!(new_york.next_after(at(2025, 3, 9, 7, 0, 0)), Some(at(2025, 3, 10, 6, 30, 0)));
}

#[test]
fn a_daily_0230_schedule_in_the_repeated_hour_fires_once_on_the_first_pass() {
    // Europe/Berlin, 2025-10-26: 03:00 CEST becomes 02:00 CET; 02:30 is 00:30 UTC and again 01:30 UTC.
    let berlin = CronSchedule::parse("30 2 * * *", "Europe/Berlin").unwrap();
    assert_eq!(berlin.next_after(at(2025, 10, 26, 0, 0, 0)), Some(at(2025, 10, 26, 0, 30, 0)));
    assert_eq!(berlin.next_after(at(2025, 10, 26, 0, 30, 0)), Some(at(2025, 10, 27, 1, 30, 0)));
    // During the second pass the latest slot is still the first pass's.
    assert_eq!(berlin.latest_at_or_before(at(2025, 10, 26, 1, 45, 0)), Some(at(2025, 10, 26, 0, 30, 0)));
}

#[test]
fn a_bad_cron_expression_is_refused_with_croners_reason() {
    let error = CronSchedule::parse("0 25 * * *", "UTC").unwrap_err();
    assert!(matches!(error, ScheduleError::Cron { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        r#"the cron expression "0 25 * * *" is invalid: Component error: Number out of bounds."#
    );
    let error = CronSchedule::parse("* * *", "UTC").unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"the cron expression "* * *" is invalid: Invalid pattern: Pattern must have 5 or 6 fields when years are disallowed."#
    );
}

#[test]
fn a_bad_time_zone_is_refused_by_name() {
    let error = CronSchedule::parse("0 * * * *", "Europe/Atlantis").unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"the time zone "Europe/Atlantis" is unknown: expected UTC or an IANA name such as Europe/Berlin (names are case-sensitive)"#
    );
}

#[test]
fn slot_event_ids_are_the_same_for_every_scheduler_and_differ_per_slot_and_schedule() {
    let (plan, other) = (Uuid::now_v7(), Uuid::now_v7());
    let slot = june(14, 0, 0);
    assert_eq!(slot_event_id(plan, slot), Uuid::new_v5(&plan, b"2025-06-01T14:00:00Z"));
    assert_eq!(slot_event_id(plan, slot), slot_event_id(plan, june(14, 0, 0)));
    assert_ne!(slot_event_id(plan, slot), slot_event_id(plan, june(15, 0, 0)));
    assert_ne!(slot_event_id(plan, slot), slot_event_id(other, slot));
}

/// A store whose first appends fail as if the database were away; everything else passes through.
#[derive(Debug)]
struct FlakyStore {
    inner: Arc<dyn EventStore>,
    failures_left: AtomicUsize,
}

#[async_trait]
impl EventStore for FlakyStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        let failing = self.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(AppendError::Store(StoreError::Closed));
        }
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(&self, stream: &StreamId, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, after, limit).await
    }

    async fn read_all(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit, filter).await
    }

    async fn read_raw(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.inner.read_raw(after, limit).await
    }

    async fn chain_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        self.inner.chain_head().await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<i64, StoreError> {
        self.inner.stream_version(stream).await
    }

    async fn head(&self) -> Result<i64, StoreError> {
        self.inner.head().await
    }

    fn wakeups(&self) -> watch::Receiver<i64> {
        self.inner.wakeups()
    }
}

/// A source that lists fixed schedules until told to fail.
#[derive(Debug)]
struct SwitchableSource {
    schedules: Vec<Schedule>,
    failing: AtomicBool,
}

#[async_trait]
impl ScheduleSource for SwitchableSource {
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>> {
        if self.failing.load(Ordering::SeqCst) {
            anyhow::bail!("the backup plans read model is unreachable");
        }
        Ok(self.schedules.clone())
    }
}
