//! [`CronSchedule`]: a cron expression that croner accepts, read in a time zone chrono-tz knows, and the slot
//! arithmetic the scheduler needs (the latest slot at or before an instant, the next slot after one), in UTC.
//!
//! Croner walks the wall clock of the zone, so daylight saving changes follow croner's rules (asserted in the
//! tests of this module and of `tests/schedule.rs`):
//! - **Spring forward** (a wall clock hour that never happens): a *fixed-time* pattern (one second, one minute,
//!   one hour, such as `30 2 * * *`) whose time falls in the gap fires once, at the first instant after the gap
//!   (03:00 local in Europe/Berlin, not 03:30). Any other pattern simply has no slot at the missing times, so
//!   `*/30 2 * * *` does not fire at all on that day.
//! - **Fall back** (a wall clock hour that happens twice): a fixed-time pattern fires once, on the earlier pass
//!   (02:30 CEST, not 02:30 CET); any other pattern fires on both passes (`30 * * * *` fires twice at 02:30).

use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::{
    Cron,
    parser::{CronParser, Seconds, Year},
};

/// Why a schedule was refused; each message quotes what was given (croner's own reason is logged, never shown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Croner refused the expression; `reason` is croner's own message.
    #[error("the cron expression {expression:?} is invalid: {reason}")]
    Cron {
        /// The expression as given.
        expression: String,
        /// Croner's reason.
        reason: String,
    },
    /// The expression parses but names no time that exists (`0 0 30 2 *`, February 30th).
    #[error("the cron expression {expression:?} never fires: {reason}")]
    NeverFires {
        /// The expression as given.
        expression: String,
        /// Croner's reason for finding no slot.
        reason: String,
    },
    /// The expression fires more often than its job may run (`* * * * * *` for a backup).
    #[error("the cron expression {expression:?} fires more often than once every {minimum_secs} s")]
    TooFrequent {
        /// The expression as given.
        expression: String,
        /// The shortest interval allowed, in seconds.
        minimum_secs: u64,
    },
    /// The zone is neither `UTC` nor an IANA name chrono-tz knows.
    #[error(
        "the time zone {zone:?} is unknown: expected UTC or an IANA name such as Europe/Berlin (names are case-sensitive)"
    )]
    TimeZone {
        /// The zone as given.
        zone: String,
    },
}

impl ScheduleError {
    /// What people read: ours, not the parser's.
    pub fn message(&self) -> lawha_domain::Message {
        match self {
            Self::Cron { expression, .. } => crate::messages::cron_invalid(expression),
            Self::NeverFires { expression, .. } => crate::messages::cron_never_fires(expression),
            Self::TooFrequent { expression, minimum_secs } => {
                crate::messages::cron_too_frequent(expression, minimum_secs / 60)
            }
            Self::TimeZone { zone } => crate::messages::timezone_unknown(zone),
        }
    }
}

/// How many slots [`CronSchedule::at_most_every`] looks at.
pub const GAP_SLOTS: usize = 1500;

/// A cron expression in a time zone. It exists only in valid form: croner accepted the expression (5 fields, or 6
/// with seconds first, or an `@hourly`-style nickname; no year field), the zone is known, and the expression has
/// at least one slot.
#[derive(Clone, PartialEq, Eq)]
pub struct CronSchedule {
    /// The expression as given, for messages and for the UI.
    expression: String,
    /// The zone whose wall clock the expression is read in (`Tz::UTC` for UTC).
    zone: Tz,
    /// Croner's parsed pattern.
    cron: Cron,
}

impl CronSchedule {
    /// Parses `expression` (read in `zone`: `UTC` or an IANA name such as `Europe/Berlin`).
    pub fn parse(expression: &str, zone: &str) -> Result<Self, ScheduleError> {
        let zone: Tz = zone.parse().map_err(|_| ScheduleError::TimeZone { zone: zone.to_owned() })?;
        // Seconds are optional (a sixth, leading field); a year field is not offered, so a schedule always recurs.
        let parser = CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build();
        let cron = parser
            .parse(expression)
            .map_err(|e| ScheduleError::Cron { expression: expression.to_owned(), reason: e.to_string() })?;
        // Without a year field the slots repeat every 400 years, so a pattern that has none after this reference
        // has none at all. Refusing it here also keeps croner's long fruitless search (about 0.2 s per call)
        // out of every scheduler tick.
        let reference = DateTime::UNIX_EPOCH.with_timezone(&zone);
        if let Err(e) = cron.find_next_occurrence(&reference, false) {
            return Err(ScheduleError::NeverFires { expression: expression.to_owned(), reason: e.to_string() });
        }
        Ok(Self { expression: expression.to_owned(), zone, cron })
    }

    /// Refuses a schedule two of whose slots can be closer than `minimum` (whole minutes), so a job cannot be
    /// asked for every second. Looks at the next [`GAP_SLOTS`] slots after a fixed reference instant: the
    /// slots of a cron pattern repeat day by day, so a day with a closer pair shows it there, and a pattern with
    /// more slots than that in a day is closer than any minimum anyway.
    pub fn at_most_every(self, minimum: std::time::Duration) -> Result<Self, ScheduleError> {
        let too_frequent =
            || ScheduleError::TooFrequent { expression: self.expression.clone(), minimum_secs: minimum.as_secs() };
        let minimum = chrono::TimeDelta::from_std(minimum).map_err(|_| too_frequent())?;
        let mut at = self.next_after(DateTime::UNIX_EPOCH);
        for _ in 0..GAP_SLOTS {
            let Some(slot) = at else { break };
            let next = self.next_after(slot);
            if next.is_some_and(|n| n - slot < minimum) {
                return Err(too_frequent());
            }
            at = next;
        }
        Ok(self)
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The zone the expression is read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The most recent slot at or before `at`, or None when croner finds none (before year 1).
    pub fn latest_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&self.zone);
        let slot = self.cron.find_previous_occurrence(&local, true).ok()?.with_timezone(&Utc);
        // Croner searches whole wall clock seconds; the order against `at` is what callers rely on.
        (slot <= at).then_some(slot)
    }

    /// The first slot strictly after `at`, or None when croner finds none (after year 5000).
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&self.zone);
        let slot = self.cron.find_next_occurrence(&local, false).ok()?.with_timezone(&Utc);
        (slot > at).then_some(slot)
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CronSchedule").field("expression", &self.expression).field("zone", &self.zone.name()).finish()
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.expression, self.zone.name())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("a valid UTC time")
    }

    fn cron(expression: &str, zone: &str) -> CronSchedule {
        CronSchedule::parse(expression, zone).expect("a valid schedule")
    }

    #[test]
    fn the_latest_slot_includes_the_instant_itself_and_the_next_slot_excludes_it() {
        let hourly = cron("0 * * * *", "UTC");
        let on_slot = utc(2025, 6, 1, 14, 0, 0);
        assert_eq!(hourly.latest_at_or_before(on_slot), Some(on_slot));
        assert_eq!(hourly.next_after(on_slot), Some(utc(2025, 6, 1, 15, 0, 0)));
        let between = utc(2025, 6, 1, 14, 59, 59);
        assert_eq!(hourly.latest_at_or_before(between), Some(on_slot));
        assert_eq!(hourly.next_after(between), Some(utc(2025, 6, 1, 15, 0, 0)));
    }

    #[test]
    fn sub_second_instants_order_correctly_against_whole_second_slots() {
        let hourly = cron("0 * * * *", "UTC");
        let slot = utc(2025, 6, 1, 14, 0, 0);
        let just_after = slot + chrono::TimeDelta::microseconds(1);
        let just_before = slot - chrono::TimeDelta::microseconds(1);
        assert_eq!(hourly.latest_at_or_before(just_after), Some(slot));
        assert_eq!(hourly.next_after(just_before), Some(slot));
        assert_eq!(hourly.latest_at_or_before(just_before), Some(utc(2025, 6, 1, 13, 0, 0)));
    }

    #[test]
    fn six_fields_put_seconds_first_and_nicknames_are_accepted() {
        let every_ten_seconds = cron("*/10 * * * * *", "UTC");
        assert_eq!(every_ten_seconds.next_after(utc(2025, 6, 1, 14, 0, 3)), Some(utc(2025, 6, 1, 14, 0, 10)));
        assert_eq!(cron("@daily", "UTC").next_after(utc(2025, 6, 1, 14, 0, 0)), Some(utc(2025, 6, 2, 0, 0, 0)));
    }

    #[test]
    fn a_named_zone_reads_the_expression_on_its_wall_clock() {
        // 09:00 in New York is 13:00 UTC in summer (EDT) and 14:00 UTC in winter (EST).
        let nine = cron("0 9 * * *", "America/New_York");
        assert_eq!(nine.next_after(utc(2025, 7, 1, 0, 0, 0)), Some(utc(2025, 7, 1, 13, 0, 0)));
        assert_eq!(nine.next_after(utc(2025, 12, 1, 0, 0, 0)), Some(utc(2025, 12, 1, 14, 0, 0)));
    }

    #[test]
    fn an_interval_pattern_fires_on_both_passes_of_the_repeated_hour() {
        // Europe/Berlin, 2025-10-26: 03:00 CEST becomes 02:00 CET, so 02:30 happens at 00:30 and 01:30 UTC.
        let half_past = cron("30 * * * *", "Europe/Berlin");
        let first = half_past.next_after(utc(2025, 10, 26, 0, 0, 0));
        assert_eq!(first, Some(utc(2025, 10, 26, 0, 30, 0)));
        assert_eq!(half_past.next_after(first.unwrap()), Some(utc(2025, 10, 26, 1, 30, 0)));
        assert_eq!(half_past.latest_at_or_before(utc(2025, 10, 26, 1, 45, 0)), Some(utc(2025, 10, 26, 1, 30, 0)));
    }

    #[test]
    fn an_interval_pattern_has_no_slot_in_the_skipped_hour() {
        // Europe/Berlin, 2025-03-30: 02:00 CET becomes 03:00 CEST. `*/30 2 * * *` is not fixed-time, so croner
        // does not carry it past the gap: no slot that day at all.
        let in_the_gap = cron("*/30 2 * * *", "Europe/Berlin");
        assert_eq!(in_the_gap.next_after(utc(2025, 3, 29, 23, 0, 0)), Some(utc(2025, 3, 31, 0, 0, 0)));
        let half_past = cron("30 * * * *", "Europe/Berlin");
        // 01:30 CET (00:30 UTC), then 03:30 CEST (01:30 UTC): the 02:30 that does not exist is not invented.
        assert_eq!(half_past.next_after(utc(2025, 3, 30, 0, 30, 0)), Some(utc(2025, 3, 30, 1, 30, 0)));
    }

    #[test]
    fn an_expression_croner_refuses_is_refused_with_its_reason() {
        let error = CronSchedule::parse("61 * * * *", "UTC").unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"the cron expression "61 * * * *" is invalid: Component error: Number out of bounds."#
        );
        for bad in ["", "* * *", "* * * * * * *", "5/5 * * * *", "abc * * * *"] {
            assert!(matches!(CronSchedule::parse(bad, "UTC"), Err(ScheduleError::Cron { .. })), "{bad:?} was accepted");
        }
    }

    #[test]
    fn an_expression_without_any_slot_is_refused() {
        let error = CronSchedule::parse("0 0 30 2 *", "UTC").unwrap_err();
        assert!(matches!(error, ScheduleError::NeverFires { .. }), "{error:?}");
        assert!(error.to_string().starts_with(r#"the cron expression "0 0 30 2 *" never fires: "#), "{error}");
    }

    #[test]
    fn a_schedule_closer_than_the_minimum_is_refused_however_its_slots_cluster() {
        let five_minutes = std::time::Duration::from_secs(300);
        for often in ["* * * * * *", "*/2 * * * *", "0,1 3 * * *", "0,59 0,23 * * *", "* * 29 2 *", "0 0 1 1 * "] {
            let refused = cron(often, "UTC").at_most_every(five_minutes);
            let fine = often.trim() == "0 0 1 1 *";
            assert_eq!(refused.is_ok(), fine, "{often:?}: {refused:?}");
        }
        for fine in ["*/5 * * * *", "0 3 * * *", "@hourly", "0 */6 * * 1-5"] {
            assert!(cron(fine, "Asia/Riyadh").at_most_every(five_minutes).is_ok(), "{fine}");
        }
        let error = cron("* * * * * *", "UTC").at_most_every(five_minutes).unwrap_err();
        assert_eq!(error.message(), crate::messages::cron_too_frequent("* * * * * *", 5u64));
    }

    #[test]
    fn an_unknown_zone_is_refused_by_name() {
        let error = CronSchedule::parse("0 * * * *", "Mars/Olympus_Mons").unwrap_err();
        assert_eq!(error, ScheduleError::TimeZone { zone: "Mars/Olympus_Mons".into() });
        assert!(error.to_string().contains(r#""Mars/Olympus_Mons" is unknown"#), "{error}");
        assert!(CronSchedule::parse("0 * * * *", "utc").is_err(), "zone names are case-sensitive");
    }
}
