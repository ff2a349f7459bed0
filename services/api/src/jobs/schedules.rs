//! The panel's built-in recurring commands: the daily verification of the audit chain. Backup plans bring their
//! own schedules through another [`ScheduleSource`].

use chrono::DateTime;
use lawha_domain::StreamId;
use lawha_jobs::schedule::{CronSchedule, Schedule, SlotEvent};
use serde_json::Map;
use uuid::Uuid;

use super::handlers::AUDIT_CHAIN_STREAM;

/// When the audit chain is verified: every day at 03:17 UTC, off the hour when other cron jobs crowd the machine.
pub const AUDIT_VERIFY_CRON: &str = "17 3 * * *";

/// The built-in schedules. Their `not_before` is the epoch: a panel that was down at 03:17 verifies once when it
/// starts again (the latest missed slot), and a new panel verifies at its first start.
pub fn builtin() -> Vec<Schedule> {
    let cron = CronSchedule::parse(AUDIT_VERIFY_CRON, "UTC").expect("the built-in cron expression is valid");
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"lawha/schedule/audit-verify-daily");
    vec![Schedule::new(id, "audit-verify-daily", cron, DateTime::UNIX_EPOCH, |_slot| SlotEvent {
        stream: StreamId::parse(AUDIT_CHAIN_STREAM).expect("a valid stream name"),
        event_type: "AuditChainVerifyRequested".to_owned(),
        data: Map::new(),
    })]
}
