//! The job system's settings (`jobs.*`): the queue file, the Redis namespace, the queues run in process and the
//! audit verification schedule, checked with the scheduler's own cron parser.

use super::Builder;
use crate::sections::{InProcess, JobsConfig};

impl Builder {
    /// `jobs.*`.
    pub(super) fn jobs(&mut self, data_dir: &std::path::Path) -> JobsConfig {
        let defaults = JobsConfig::defaults(self.profile, data_dir);
        let queue_path = match self.text("jobs.queue_path") {
            Some(path) if path.trim().is_empty() => {
                self.report("jobs.queue_path", "is empty", "set it to a file path, or leave it unset");
                defaults.queue_path.clone()
            }
            Some(path) => std::path::PathBuf::from(path),
            None => defaults.queue_path.clone(),
        };
        let namespace = match self.text("jobs.namespace") {
            Some(ns) if is_name(&ns, 64, false) => ns,
            Some(ns) => {
                self.report(
                    "jobs.namespace",
                    format!("{ns:?} is not a namespace"),
                    "use 1 to 64 letters, digits, _ or -",
                );
                defaults.namespace.clone()
            }
            None => defaults.namespace.clone(),
        };
        let in_process = match self.list("jobs.in_process", "queue names", QUEUES_FIX) {
            None => defaults.in_process.clone(),
            Some(items) if items.len() == 1 && items[0].trim().eq_ignore_ascii_case("all") => InProcess::All,
            Some(items) if items.len() == 1 && items[0].trim().eq_ignore_ascii_case("none") => InProcess::Only(vec![]),
            Some(items) => {
                let mut queues = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let item = item.trim();
                    if is_name(item, 100, true) {
                        queues.push(item.to_owned());
                    } else {
                        let message = format!("entry {}: {item:?} is not a queue name", index + 1);
                        self.report("jobs.in_process", message, QUEUES_FIX);
                    }
                }
                InProcess::Only(queues)
            }
        };
        let audit_verify_cron = match self.text("jobs.audit_verify_cron") {
            None => defaults.audit_verify_cron.clone(),
            Some(text) if text.trim().eq_ignore_ascii_case("off") => None,
            Some(text) => match cron_problem(text.trim()) {
                None => Some(text.trim().to_owned()),
                Some(reason) => {
                    self.report(
                        "jobs.audit_verify_cron",
                        format!("{text:?} is not a cron expression: {reason}"),
                        "use 5 fields such as \"17 3 * * *\" (minute hour day month weekday, in UTC), or `off`",
                    );
                    defaults.audit_verify_cron.clone()
                }
            },
        };
        JobsConfig {
            audit_verify_cron,
            queue_path,
            namespace,
            concurrency: self.number("jobs.concurrency", defaults.concurrency, 1, Some(1000)),
            poll_interval_ms: self.number("jobs.poll_interval_ms", defaults.poll_interval_ms, 5, Some(10_000)),
            shutdown_grace_secs: self.number("jobs.shutdown_grace_secs", defaults.shutdown_grace_secs, 0, Some(3600)),
            in_process,
            redispatch_after_secs: self.number(
                "jobs.redispatch_after_secs",
                defaults.redispatch_after_secs,
                5,
                Some(86_400),
            ),
        }
    }
}

/// The fix offered when `jobs.in_process` is of the wrong type or names a queue badly.
const QUEUES_FIX: &str = "write `all`, `none`, or queue names such as [\"admin\", \"backups\"] (in the environment: \
                          admin,backups); a queue name is lowercase letters, digits, . _ and -";

/// Why croner refuses a cron expression (with the parser settings the scheduler uses), or None when it is valid.
fn cron_problem(expression: &str) -> Option<String> {
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .year(croner::parser::Year::Disallowed)
        .build();
    parser.parse(expression).err().map(|e| e.to_string())
}

/// Whether `text` is 1 to `max` ASCII letters, digits, `_` or `-` (and `.` when `dots`), lowercase only for queue
/// names (`dots`).
fn is_name(text: &str, max: usize, dots: bool) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.bytes().all(|b| {
            if dots {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            } else {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
            }
        })
}
