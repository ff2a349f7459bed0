//! Recurring commands against a real event store: the behaviours that touch the log run on PostgreSQL and SQLite
//! (a fresh database each, through the store's test kit); the slot arithmetic and parsing need no database.
//!
//! Time is a [`ManualClock`], so hours of slots pass in milliseconds; the loops tick every few milliseconds.
//!
//! The tests that need no database are in this file; the behaviours on the log are in `schedule/`, by area.

#[path = "schedule/failures.rs"]
mod failures;
#[path = "schedule/slots.rs"]
mod slots;
#[path = "schedule/support.rs"]
mod support;

use lawha_jobs::schedule::{CronSchedule, ScheduleError, slot_event_id};
use uuid::Uuid;

// `on_both_backends!` calls each behaviour through this module, so the behaviours are imported here by name.
use failures::{a_failed_append_is_retried_on_the_next_tick, a_failing_source_keeps_the_schedules_it_listed_before};
use slots::{
    a_daily_0230_berlin_schedule_fires_once_on_each_daylight_saving_night, a_new_slot_fires_when_the_clock_passes_it,
    a_scheduler_started_after_downtime_appends_only_the_latest_missed_slot_once,
    a_scheduler_that_missed_several_slots_skips_all_but_the_latest, slots_before_not_before_never_fire,
    two_schedulers_running_at_once_append_each_slot_exactly_once,
};
use support::{at, june};

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
