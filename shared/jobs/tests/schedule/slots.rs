//! Which slots a scheduler appends, and how often: once across two schedulers, only the latest after downtime,
//! none before `not_before`, a new one when the clock passes it, and one per daylight saving night.

use std::{sync::Arc, time::Duration};

use chrono::TimeDelta;
use lawha_jobs::schedule::{Clock as _, ManualClock};
use lawha_store::testkit::{self, TestDb};
use tokio_util::sync::CancellationToken;

use super::support::{TICK, at, bounded, june, requested, schedule, scheduler, slots_of, wait_for_events};

pub async fn two_schedulers_running_at_once_append_each_slot_exactly_once(t: TestDb) {
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

pub async fn a_scheduler_started_after_downtime_appends_only_the_latest_missed_slot_once(t: TestDb) {
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

pub async fn a_scheduler_that_missed_several_slots_skips_all_but_the_latest(t: TestDb) {
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

pub async fn slots_before_not_before_never_fire(t: TestDb) {
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

pub async fn a_new_slot_fires_when_the_clock_passes_it(t: TestDb) {
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

pub async fn a_daily_0230_berlin_schedule_fires_once_on_each_daylight_saving_night(t: TestDb) {
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
