//! The scheduler loop: on every tick it re-reads its source and appends the due slot of each schedule that this
//! process has not appended yet, then sleeps until the earliest next slot or the tick, whichever comes first.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use lawha_domain::ExpectedVersion;
use lawha_store::EventStore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Clock, Schedule, ScheduleSource, SystemClock, slot_text};

/// Counting missed slots stops here, so a per-second schedule after a week's suspension costs little; the log
/// then says "at least".
const MAX_COUNTED_SKIPS: u64 = 10_000;

/// The shortest pause between passes, so a zero tick cannot spin.
const MIN_TICK: Duration = Duration::from_millis(1);

/// A slot this process appended (or found already appended by another scheduler) in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    /// The schedule.
    pub schedule: Uuid,
    /// The slot.
    pub slot: DateTime<Utc>,
    /// True when another scheduler had appended it first: done all the same.
    pub already_applied: bool,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// The slots appended or found appended.
    pub fired: Vec<Fired>,
    /// Slots passed over because a later slot of the same schedule was due (counted up to a bound).
    pub skipped: u64,
    /// Schedules whose append failed; their slot is tried again on the next pass.
    pub failed: Vec<Uuid>,
    /// The earliest slot after this pass's "now" among all schedules, to sleep until.
    pub next_slot: Option<DateTime<Utc>>,
}

/// What a scheduler did over its whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Slots this process wrote to the log.
    pub appended: u64,
    /// Slots another scheduler had written first.
    pub already_applied: u64,
    /// Slots passed over (see [`Pass::skipped`]).
    pub skipped: u64,
    /// Append attempts that failed (each retried later).
    pub failed: u64,
}

impl Totals {
    fn add(&mut self, pass: &Pass) {
        let already = pass.fired.iter().filter(|f| f.already_applied).count() as u64;
        self.appended += pass.fired.len() as u64 - already;
        self.already_applied += already;
        self.skipped += pass.skipped;
        self.failed += pass.failed.len() as u64;
    }
}

/// Appends the slots of its schedules as they come due. One per process; several processes may run one each.
#[derive(Debug)]
pub struct Scheduler {
    /// The log the requests are appended to.
    store: Arc<dyn EventStore>,
    /// Re-read on every pass.
    source: Arc<dyn ScheduleSource>,
    /// Injectable, so tests cross slots without waiting.
    clock: Arc<dyn Clock>,
    /// The last list read successfully: a failing source does not stop the schedules it listed before.
    schedules: Vec<Schedule>,
    /// The latest slot this process appended per schedule. Only in memory: after a restart the latest due slot
    /// is appended again, which the deterministic id makes harmless.
    last_fired: HashMap<Uuid, DateTime<Utc>>,
}

/// Runs a scheduler on the system clock until `stop` is cancelled (see [`Scheduler::run`]).
pub async fn run(
    store: Arc<dyn EventStore>,
    source: Arc<dyn ScheduleSource>,
    stop: CancellationToken,
    tick: Duration,
) -> Totals {
    Scheduler::new(store, source).run(stop, tick).await
}

impl Scheduler {
    /// A scheduler on the system clock.
    pub fn new(store: Arc<dyn EventStore>, source: Arc<dyn ScheduleSource>) -> Self {
        Self { store, source, clock: Arc::new(SystemClock), schedules: Vec::new(), last_fired: HashMap::new() }
    }

    /// The same scheduler reading `clock` instead.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Passes at start and then at least every `tick` (sooner when a slot comes first) until `stop` is
    /// cancelled; returns what it did.
    pub async fn run(mut self, stop: CancellationToken, tick: Duration) -> Totals {
        let tick = tick.max(MIN_TICK);
        let mut totals = Totals::default();
        loop {
            let pass = tokio::select! {
                () = stop.cancelled() => break,
                pass = self.pass() => pass,
            };
            totals.add(&pass);
            let now = self.clock.now();
            let wait = pass.next_slot.map_or(tick, |next| (next - now).to_std().unwrap_or(Duration::ZERO).min(tick));
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        totals
    }

    /// One pass: re-read the schedules, append each one's due slot if this process has not appended it yet.
    pub async fn pass(&mut self) -> Pass {
        self.refresh().await;
        let now = self.clock.now();
        let mut pass = Pass::default();
        for schedule in &self.schedules {
            if let Some(next) = schedule.next_after(now) {
                pass.next_slot = Some(pass.next_slot.map_or(next, |earliest| earliest.min(next)));
            }
            let Some(slot) = schedule.due_at(now) else { continue };
            let last = self.last_fired.get(&schedule.id).copied();
            // A slot at or before the last one appended is done; a clock stepped backwards never refires it.
            if last.is_some_and(|last| slot <= last) {
                continue;
            }
            let (stream, event) = schedule.event_for(slot);
            let (event_id, event_type) = (event.event_id, event.event_type.clone());
            match self.store.append(&stream, ExpectedVersion::Any, vec![event]).await {
                Ok(appended) => {
                    let skipped = last.map_or(0, |last| skipped_between(schedule, last, slot));
                    if skipped > 0 {
                        let at_least = if skipped >= MAX_COUNTED_SKIPS { "at least " } else { "" };
                        tracing::info!(
                            schedule.id = %schedule.id, schedule.name = %schedule.name, skipped,
                            "skipped {at_least}{skipped} missed slots; only the latest, {}, fires", slot_text(slot)
                        );
                        metrics::counter!("lawha_schedule_skipped_slots_total", "schedule" => schedule.name.clone())
                            .increment(skipped);
                    }
                    if appended.already_applied {
                        tracing::debug!(
                            schedule.id = %schedule.id, schedule.name = %schedule.name, slot = %slot_text(slot),
                            event.id = %event_id, "slot already appended by another scheduler"
                        );
                    } else {
                        tracing::info!(
                            schedule.id = %schedule.id, schedule.name = %schedule.name, slot = %slot_text(slot),
                            event.id = %event_id, event_type = %event_type, stream = %stream,
                            "scheduled command appended"
                        );
                        metrics::counter!("lawha_schedule_fired_total", "schedule" => schedule.name.clone())
                            .increment(1);
                    }
                    self.last_fired.insert(schedule.id, slot);
                    pass.skipped += skipped;
                    pass.fired.push(Fired { schedule: schedule.id, slot, already_applied: appended.already_applied });
                }
                Err(error) => {
                    tracing::warn!(
                        schedule.id = %schedule.id, schedule.name = %schedule.name, slot = %slot_text(slot),
                        event.id = %event_id, error = %error,
                        "appending a scheduled command failed; it is tried again on the next tick"
                    );
                    pass.failed.push(schedule.id);
                }
            }
        }
        pass
    }

    /// Re-reads the source; on failure keeps the last list, so one failing source does not stop every schedule.
    async fn refresh(&mut self) {
        let mut schedules = match self.source.schedules().await {
            Ok(schedules) => schedules,
            Err(error) => {
                tracing::warn!(
                    error = %format!("{error:#}"),
                    "reading the schedules failed; the last list read stays in force until a read succeeds"
                );
                return;
            }
        };
        let mut seen = HashSet::new();
        schedules.retain(|schedule| {
            let first = seen.insert(schedule.id);
            if !first {
                tracing::warn!(
                    schedule.id = %schedule.id, schedule.name = %schedule.name,
                    "two schedules share one id (so their slots would share event ids); only the first is kept"
                );
            }
            first
        });
        // Forget removed schedules, so the memory follows the list.
        self.last_fired.retain(|id, _| seen.contains(id));
        self.schedules = schedules;
    }
}

/// How many slots of `schedule` lie strictly between `after` and `before`, counted up to [`MAX_COUNTED_SKIPS`].
fn skipped_between(schedule: &Schedule, after: DateTime<Utc>, before: DateTime<Utc>) -> u64 {
    let mut count = 0;
    let mut at = after;
    while count < MAX_COUNTED_SKIPS {
        match schedule.next_after(at) {
            Some(slot) if slot < before => {
                count += 1;
                at = slot;
            }
            _ => break,
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use lawha_domain::StreamId;

    use super::*;
    use crate::schedule::{CronSchedule, SlotEvent};

    fn utc(h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, h, mi, 0).single().expect("a valid UTC time")
    }

    fn every(expression: &str) -> Schedule {
        let cron = CronSchedule::parse(expression, "UTC").expect("a valid schedule");
        Schedule::new(Uuid::from_u128(1), "test", cron, utc(0, 0), |_| SlotEvent {
            stream: StreamId::parse("probe-1").expect("a valid stream"),
            event_type: "ProbeRequested".into(),
            data: serde_json::Map::new(),
        })
    }

    #[test]
    fn the_slots_strictly_between_two_slots_are_counted() {
        let hourly = every("0 * * * *");
        assert_eq!(skipped_between(&hourly, utc(10, 0), utc(14, 0)), 3);
        assert_eq!(skipped_between(&hourly, utc(13, 0), utc(14, 0)), 0);
    }

    #[test]
    fn counting_missed_slots_stops_at_its_bound() {
        let every_second = every("* * * * * *");
        assert_eq!(skipped_between(&every_second, utc(0, 0), utc(12, 0)), MAX_COUNTED_SKIPS);
    }

    #[test]
    fn totals_split_new_appends_from_slots_found_appended() {
        let fired = |already_applied| Fired { schedule: Uuid::nil(), slot: utc(1, 0), already_applied };
        let pass = Pass {
            fired: vec![fired(false), fired(true), fired(false)],
            skipped: 4,
            failed: vec![Uuid::nil()],
            next_slot: None,
        };
        let mut totals = Totals::default();
        totals.add(&pass);
        assert_eq!(totals, Totals { appended: 2, already_applied: 1, skipped: 4, failed: 1 });
    }
}
