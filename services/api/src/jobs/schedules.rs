//! The panel's built-in recurring commands: the daily verification of the audit chain. Backup plans bring their
//! own schedules through another [`ScheduleSource`].

use chrono::DateTime;
use lawha_config::Config;
use lawha_domain::StreamId;
use lawha_jobs::schedule::{CronSchedule, Schedule, SlotEvent};
use serde_json::Map;
use uuid::Uuid;

use super::commands::AUDIT_CHAIN_STREAM;

/// The built-in schedules: the verification of the audit chain at `jobs.audit_verify_cron` (by default every day at
/// 03:17 UTC, off the hour when other cron jobs crowd the machine), unless it is off. Their `not_before` is the
/// epoch: a panel that was down at the slot verifies once when it starts again (the latest missed slot), and a new
/// panel verifies at its first start.
pub fn builtin(config: &Config) -> Vec<Schedule> {
    let Some(expression) = &config.jobs.audit_verify_cron else { return Vec::new() };
    let cron = match CronSchedule::parse(expression, "UTC") {
        Ok(cron) => cron,
        Err(error) => {
            // The configuration check parses it the same way, so this is only reached by a hand-built Config.
            tracing::error!(%error, "the audit verification schedule is invalid; it is off");
            return Vec::new();
        }
    };
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"lawha/schedule/audit-verify-daily");
    vec![Schedule::new(id, "audit-verify-daily", cron, DateTime::UNIX_EPOCH, |_slot| SlotEvent {
        stream: StreamId::parse(AUDIT_CHAIN_STREAM).expect("a valid stream name"),
        event_type: "AuditChainVerifyRequested".to_owned(),
        data: Map::new(),
    })]
}
