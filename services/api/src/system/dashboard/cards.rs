//! The dashboard's cards, built from a snapshot of the host monitor: current values in the page's language and
//! a described sparkline per metric. Pure: the handler hands in the snapshot it cloned, nothing here locks.

use chrono::SecondsFormat;

use super::sparkline;
use crate::{
    system::{Sample, Snapshot},
    ui::{FluentValue, Lang, format_datetime, t, t_args, units},
};

/// One card: a metric's name, its value now, a few lines of detail and the last hour as a sparkline.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// A stable name (`cpu`, `memory`, `disk`, `load`, `uptime`): the `data-metric` attribute and element ids.
    pub id: &'static str,
    /// The metric's name.
    pub title: String,
    /// The value now, formatted.
    pub value: String,
    /// Lines under the value (totals, percentages, swap, the other load averages…).
    pub details: Vec<String>,
    /// The last hour, when the metric has one worth drawing (uptime has not: it only ever rises).
    pub sparkline: Option<Sparkline>,
}

/// A sparkline ready for `<polyline points>`, with the sentence that describes it to screen readers.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparkline {
    /// The polyline's points on the `0 0 WIDTH HEIGHT` view box.
    pub points: String,
    /// "CPU over the last hour: min 3%, max 41%".
    pub label: String,
}

/// When the newest sample was taken: RFC 3339 for `<time datetime>` and the page's own writing of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// RFC 3339, UTC.
    pub datetime: String,
    /// "Measured 25 Nov 2026, 18:30 UTC", in the page's language.
    pub text: String,
}

/// The time of the newest sample, or `None` before the first one.
pub fn measured(lang: Lang, snapshot: &Snapshot) -> Option<Measured> {
    let at = snapshot.current()?.at;
    let text = t_args(lang, "dashboard-measured-at", &[("time", FluentValue::from(format_datetime(lang, at)))]);
    Some(Measured { datetime: at.to_rfc3339_opts(SecondsFormat::Secs, true), text })
}

/// The five cards (CPU, memory, disk, load, uptime); none before the first sample.
pub fn cards(lang: Lang, snapshot: &Snapshot) -> Vec<Card> {
    let Some(now) = snapshot.current() else { return Vec::new() };
    let history = &snapshot.samples;
    vec![
        cpu(lang, now, history),
        memory(lang, now, history),
        disk(lang, now, history, snapshot),
        load(lang, now, history),
        uptime(lang, now),
    ]
}

fn percent(lang: Lang, value: f64) -> String {
    t_args(lang, "dashboard-percent", &[("value", FluentValue::from(rounded(value)))])
}

fn percent_used(lang: Lang, used: u64, total: u64) -> String {
    // Byte counts convert to f64 with at most a rounding in the 16th digit: nothing a percentage shows.
    let share = if total == 0 { 0.0 } else { used as f64 / total as f64 * 100.0 };
    t_args(lang, "dashboard-percent-used", &[("percent", FluentValue::from(rounded(share)))])
}

/// A percentage or count as a whole number for Fluent (which then groups and localizes its digits).
fn rounded(value: f64) -> i64 {
    // Within i64 for every value shown here (0 to 100, byte shares); `as` saturates otherwise.
    if value.is_finite() { value.round() as i64 } else { 0 }
}

fn bytes(lang: Lang, value: u64) -> String {
    units::format_bytes(lang, value)
}

/// A sparkline of `values` up to `ceiling`, described by the message `label_id` with the range written by `show`.
fn sparkline(lang: Lang, values: &[f64], ceiling: f64, label_id: &str, show: impl Fn(f64) -> String) -> Sparkline {
    let label = match sparkline::range(values) {
        Some((min, max)) => {
            t_args(lang, label_id, &[("min", FluentValue::from(show(min))), ("max", FluentValue::from(show(max)))])
        }
        None => t(lang, "dashboard-trend-empty"),
    };
    Sparkline { points: sparkline::points(values, ceiling), label }
}

fn cpu(lang: Lang, now: &Sample, history: &[Sample]) -> Card {
    let values: Vec<f64> = history.iter().map(|s| f64::from(s.cpu_percent)).collect();
    Card {
        id: "cpu",
        title: t(lang, "dashboard-cpu"),
        value: percent(lang, f64::from(now.cpu_percent)),
        details: vec![t_args(lang, "dashboard-cpu-cores", &[("count", FluentValue::from(i64::from(now.cpu_count)))])],
        sparkline: Some(sparkline(lang, &values, 100.0, "dashboard-cpu-trend", |v| percent(lang, v))),
    }
}

fn memory(lang: Lang, now: &Sample, history: &[Sample]) -> Card {
    let values: Vec<f64> = history.iter().map(|s| s.memory_used_bytes as f64).collect();
    let swap = if now.swap_total_bytes == 0 {
        t(lang, "dashboard-swap-none")
    } else {
        t_args(
            lang,
            "dashboard-swap",
            &[
                ("used", FluentValue::from(bytes(lang, now.swap_used_bytes))),
                ("total", FluentValue::from(bytes(lang, now.swap_total_bytes))),
            ],
        )
    };
    Card {
        id: "memory",
        title: t(lang, "dashboard-memory"),
        value: bytes(lang, now.memory_used_bytes),
        details: vec![
            t_args(lang, "dashboard-of-total", &[("total", FluentValue::from(bytes(lang, now.memory_total_bytes)))]),
            percent_used(lang, now.memory_used_bytes, now.memory_total_bytes),
            swap,
        ],
        sparkline: Some(sparkline(lang, &values, now.memory_total_bytes as f64, "dashboard-memory-trend", |v| {
            bytes(lang, v as u64)
        })),
    }
}

fn disk(lang: Lang, now: &Sample, history: &[Sample], snapshot: &Snapshot) -> Card {
    let title = t(lang, "dashboard-disk");
    let (Some(used), Some(total)) = (now.disk_used_bytes, now.disk_total_bytes) else {
        return Card { id: "disk", title, value: t(lang, "dashboard-unavailable"), details: vec![], sparkline: None };
    };
    // A sample whose filesystem could not be read is not a number, which the sparkline draws at 0 and the
    // description leaves out.
    let values: Vec<f64> = history.iter().map(|s| s.disk_used_bytes.map_or(f64::NAN, |b| b as f64)).collect();
    let mut details = vec![
        t_args(lang, "dashboard-of-total", &[("total", FluentValue::from(bytes(lang, total)))]),
        percent_used(lang, used, total),
    ];
    if let Some(mount) = &snapshot.disk_mount {
        details.push(t_args(
            lang,
            "dashboard-disk-mount",
            &[("mount", FluentValue::from(mount.display().to_string()))],
        ));
    }
    Card {
        id: "disk",
        title,
        value: bytes(lang, used),
        details,
        sparkline: Some(sparkline(lang, &values, total as f64, "dashboard-disk-trend", |v| bytes(lang, v as u64))),
    }
}

fn load(lang: Lang, now: &Sample, history: &[Sample]) -> Card {
    let values: Vec<f64> = history.iter().map(|s| s.load_one).collect();
    let show = |v: f64| units::format_decimal(lang, v, 2);
    // One unit of load per core is a busy machine; the scale grows when the load went above that.
    let peak = sparkline::range(&values).map_or(0.0, |(_, max)| max);
    let ceiling = f64::from(now.cpu_count).max(peak);
    Card {
        id: "load",
        title: t(lang, "dashboard-load"),
        value: show(now.load_one),
        details: vec![t_args(
            lang,
            "dashboard-load-later",
            &[("five", FluentValue::from(show(now.load_five))), ("fifteen", FluentValue::from(show(now.load_fifteen)))],
        )],
        sparkline: Some(sparkline(lang, &values, ceiling, "dashboard-load-trend", show)),
    }
}

fn uptime(lang: Lang, now: &Sample) -> Card {
    let booted = now.at - chrono::Duration::seconds(i64::try_from(now.uptime_secs).unwrap_or(i64::MAX / 1_000));
    Card {
        id: "uptime",
        title: t(lang, "dashboard-uptime"),
        value: units::format_duration(lang, now.uptime_secs),
        details: vec![t_args(lang, "dashboard-booted", &[("time", FluentValue::from(format_datetime(lang, booted)))])],
        sparkline: None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;

    fn visible(text: &str) -> String {
        text.replace(['\u{2068}', '\u{2069}'], "")
    }

    fn sample(minute: i64, cpu: f32) -> Sample {
        Sample {
            at: Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).single().expect("a valid date")
                + chrono::Duration::minutes(minute),
            cpu_percent: cpu,
            cpu_count: 2,
            memory_used_bytes: 3_435_973_837,
            memory_total_bytes: 8 * 1024 * 1024 * 1024,
            swap_used_bytes: 0,
            swap_total_bytes: 0,
            disk_used_bytes: Some(1024 * 1024 * 1024),
            disk_total_bytes: Some(4 * 1024 * 1024 * 1024),
            load_one: 0.5,
            load_five: 0.25,
            load_fifteen: 0.3,
            uptime_secs: 3 * 86_400 + 4 * 3_600,
        }
    }

    fn snapshot(samples: Vec<Sample>) -> Snapshot {
        Snapshot { samples, disk_mount: Some("/".into()) }
    }

    #[test]
    fn no_sample_means_no_cards() {
        let empty = snapshot(vec![]);
        assert!(cards(Lang::En, &empty).is_empty());
        assert!(measured(Lang::En, &empty).is_none());
    }

    #[test]
    fn the_cards_show_the_newest_sample_in_english() {
        let cards = cards(Lang::En, &snapshot(vec![sample(0, 3.0), sample(1, 41.4), sample(2, 12.0)]));
        let ids: Vec<_> = cards.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["cpu", "memory", "disk", "load", "uptime"]);
        let text = |card: &Card| (visible(&card.value), card.details.iter().map(|d| visible(d)).collect::<Vec<_>>());
        assert_eq!(text(&cards[0]), ("12%".into(), vec!["2 cores".into()]));
        assert_eq!(text(&cards[1]), ("3.2 GiB".into(), vec!["of 8.0 GiB".into(), "40% used".into(), "No swap".into()]));
        assert_eq!(
            text(&cards[2]),
            ("1.0 GiB".into(), vec!["of 4.0 GiB".into(), "25% used".into(), "Filesystem at /".into()])
        );
        assert_eq!(text(&cards[3]), ("0.50".into(), vec!["5 min: 0.25 · 15 min: 0.30".into()]));
        assert_eq!(text(&cards[4]), ("3 days, 4 hours".into(), vec!["Since 22 Nov 2026, 14:02 UTC".into()]));
        let cpu = cards[0].sparkline.as_ref().expect("a CPU sparkline");
        assert_eq!(visible(&cpu.label), "CPU over the last hour: min 3%, max 41%");
        assert_eq!(cpu.points.split(' ').count(), 3);
        assert!(cards[4].sparkline.is_none());
    }

    #[test]
    fn arabic_cards_use_arabic_digits_and_units() {
        let cards = cards(Lang::Ar, &snapshot(vec![sample(0, 12.0)]));
        assert_eq!(visible(&cards[0].value), "١٢٪");
        assert_eq!(visible(&cards[1].value), "٣٫٢ غيغابايت");
        let label = visible(&cards[1].sparkline.as_ref().expect("a memory sparkline").label);
        assert_eq!(label, "الذاكرة المستخدمة خلال الساعة الأخيرة: الأدنى ٣٫٢ غيغابايت، الأعلى ٣٫٢ غيغابايت");
    }

    #[test]
    fn an_unreadable_disk_is_said_to_be_unavailable() {
        let mut now = sample(0, 1.0);
        now.disk_used_bytes = None;
        now.disk_total_bytes = None;
        let cards = cards(Lang::En, &snapshot(vec![now]));
        assert_eq!(cards[2].value, "Not available");
        assert!(cards[2].sparkline.is_none());
    }

    #[test]
    fn the_measured_time_is_written_in_the_page_language() {
        let shown = measured(Lang::En, &snapshot(vec![sample(0, 1.0), sample(1, 2.0)])).expect("a time");
        assert_eq!(shown.datetime, "2026-11-25T18:01:00Z");
        assert_eq!(visible(&shown.text), "Measured 25 Nov 2026, 18:01 UTC");
    }
}
