//! The plan form's fields as typed, and how they become the API's input: every field is text, so a mistyped
//! number comes back as typed, with its problem.

use lawha_domain::{Message, backups::SourceKind};
use serde::Deserialize;

use crate::backups::{
    PlanInput,
    input::{DestinationInput, DestinationKindInput, EncryptionInput, RetentionInput, SourceInput, SourceKindInput},
    messages, read,
};

/// The form's fields as typed (all text, so a mistyped number comes back as typed, with its problem).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    /// The plan's name.
    pub name: String,
    /// `directory`, `sqlite`, `postgres` or `mysql`.
    pub source_kind: String,
    /// The folder or SQLite file (directory and sqlite).
    pub source_path: String,
    /// The database URL (postgres and mysql).
    pub source_url: String,
    /// The destination folder.
    pub destination_path: String,
    /// A cron expression, or empty for runs by hand only.
    pub schedule: String,
    /// The schedule's zone.
    pub timezone: String,
    /// Keep the newest N (empty: no limit).
    pub keep_last: String,
    /// Keep those younger than N days.
    pub keep_days: String,
    /// Keep at most this many MiB in all.
    pub max_total_mib: String,
    /// zstd level.
    pub compression_level: String,
    /// An age recipient, or empty for no encryption.
    pub recipient: String,
}

/// The form fields and the API fields their problems are reported under.
pub(super) const FIELDS: [(&str, &str); 12] = [
    ("name", "name"),
    ("source_kind", "source.kind"),
    ("source_path", "source.path"),
    ("source_url", "source.url"),
    ("destination_path", "destination.path"),
    ("schedule", "schedule"),
    ("timezone", "timezone"),
    ("keep_last", "retention.keep_last"),
    ("keep_days", "retention.keep_days"),
    ("max_total_mib", "retention.max_total_bytes"),
    ("compression_level", "compression_level"),
    ("recipient", "encryption.recipient"),
];

const MIB: u64 = 1024 * 1024;

impl PlanForm {
    /// A form showing `plan` as it is stored (the URL's password as `***`).
    pub(super) fn from_plan(plan: &read::PlanView) -> Self {
        let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let number = |key: &str| plan.retention.get(key).and_then(serde_json::Value::as_u64);
        Self {
            name: plan.name.clone(),
            source_kind: text(&plan.source, "kind"),
            source_path: text(&plan.source, "path"),
            source_url: text(&plan.source, "url"),
            destination_path: text(&plan.destination, "path"),
            schedule: plan.schedule.clone().unwrap_or_default(),
            timezone: plan.timezone.clone(),
            keep_last: number("keep_last").map(|n| n.to_string()).unwrap_or_default(),
            keep_days: number("keep_days").map(|n| n.to_string()).unwrap_or_default(),
            max_total_mib: number("max_total_bytes").map(|n| n.div_ceil(MIB).to_string()).unwrap_or_default(),
            compression_level: plan.compression_level.to_string(),
            recipient: plan.encryption.as_ref().map(|e| text(e, "recipient")).unwrap_or_default(),
        }
    }

    /// The plan as the API takes it, and the problems of fields that are not even of the right type (under
    /// the API's field names; such a field is left out of the plan). No plan when the kind is unknown.
    pub(super) fn input(&self) -> (Option<PlanInput>, Vec<(String, Message)>) {
        let mut problems = Vec::new();
        let mut whole = |field: &str, text: &str| -> Option<u64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = text.parse::<u64>().ok();
            if parsed.is_none() {
                problems.push((field.to_owned(), messages::not_a_number(text)));
            }
            parsed
        };
        let keep_last = whole("retention.keep_last", &self.keep_last).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let keep_days = whole("retention.keep_days", &self.keep_days).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let max_total_bytes = whole("retention.max_total_bytes", &self.max_total_mib).map(|n| n.saturating_mul(MIB));
        let level = whole("compression_level", &self.compression_level).map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let kind = serde_json::from_value::<SourceKindInput>(serde_json::Value::String(self.source_kind.clone()));
        let Ok(kind) = kind else {
            problems.push(("source.kind".into(), messages::kind_choose()));
            return (None, problems);
        };
        let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let (path, url) = if SourceKind::from(kind).uses_url() {
            (None, filled(&self.source_url))
        } else {
            (filled(&self.source_path), None)
        };
        let input = PlanInput {
            name: self.name.trim().to_owned(),
            source: SourceInput { kind, path, url },
            destination: DestinationInput {
                kind: DestinationKindInput::Local,
                path: self.destination_path.trim().to_owned(),
            },
            schedule: filled(&self.schedule),
            timezone: filled(&self.timezone),
            retention: RetentionInput { keep_last, keep_days, max_total_bytes },
            compression_level: level,
            encryption: filled(&self.recipient).map(|recipient| EncryptionInput { recipient }),
        };
        (Some(input), problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_the_api_input_and_bad_numbers_are_named() {
        let form = PlanForm {
            name: " web ".into(),
            source_kind: "postgres".into(),
            source_path: "/ignored".into(),
            source_url: "postgres://app:***@db/app".into(),
            destination_path: "/srv/backups".into(),
            keep_last: "7".into(),
            max_total_mib: "2".into(),
            ..PlanForm::default()
        };
        let (input, problems) = form.input();
        let input = input.unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(input.name, "web");
        assert_eq!((input.source.path, input.source.url.as_deref()), (None, Some("postgres://app:***@db/app")));
        assert_eq!(input.retention.keep_last, Some(7));
        assert_eq!(input.retention.max_total_bytes, Some(2 * MIB));
        assert_eq!((input.schedule, input.compression_level, input.encryption.is_none()), (None, None, true));

        let bad = PlanForm { source_kind: "tape".into(), keep_days: "a week".into(), ..PlanForm::default() };
        let (input, problems) = bad.input();
        assert!(input.is_none(), "no plan without a kind");
        let fields: Vec<_> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["retention.keep_days", "source.kind"]);
        assert_eq!(problems[0].1, messages::not_a_number("a week"));
    }
}
