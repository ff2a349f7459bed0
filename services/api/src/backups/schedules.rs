//! The schedules of backup plans, read from the plans' read model on every scheduler tick, so a plan created,
//! changed or deleted takes effect without a restart. A slot's run id derives from (plan, slot), so two
//! schedulers running at once append one `BackupRequested` per slot.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lawha_domain::{Aggregate as _, backups::BackupRun};
use lawha_jobs::schedule::{CronSchedule, Schedule, ScheduleSource, SlotEvent, slot_text};
use serde_json::{Map, Value, json};
use sqlx::AnyPool;
use uuid::Uuid;

/// The plans' schedules.
#[derive(Debug, Clone)]
pub struct PlanSchedules {
    /// The read models.
    pub pool: AnyPool,
}

/// The run a plan's slot asks for.
pub fn slot_run_id(plan_id: Uuid, slot: DateTime<Utc>) -> Uuid {
    Uuid::new_v5(&plan_id, format!("scheduled-run:{}", slot_text(slot)).as_bytes())
}

#[async_trait]
impl ScheduleSource for PlanSchedules {
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>> {
        let mut all = Vec::new();
        for (id, expression, zone, updated_at) in super::read::schedules(&self.pool).await? {
            let (Ok(plan_id), Ok(cron)) = (Uuid::parse_str(&id), CronSchedule::parse(&expression, &zone)) else {
                tracing::warn!(plan = %id, "a backup plan's schedule does not parse; it does not fire");
                continue;
            };
            // A schedule set at 14:05 does not fire its 14:00 slot: slots count from the plan's last change.
            let not_before = DateTime::from_timestamp_micros(updated_at).unwrap_or_else(Utc::now);
            all.push(Schedule::new(plan_id, "backup-plan", cron, not_before, move |slot| {
                let run_id = slot_run_id(plan_id, slot);
                let mut data = Map::new();
                data.insert("run_id".into(), Value::String(run_id.to_string()));
                data.insert("plan_id".into(), Value::String(plan_id.to_string()));
                data.insert("trigger".into(), json!({ "kind": "schedule", "slot": slot_text(slot) }));
                SlotEvent { stream: BackupRun::stream(run_id), event_type: "BackupRequested".into(), data }
            }));
        }
        Ok(all)
    }
}

/// The source as the scheduler takes it.
pub fn source(pool: AnyPool) -> Arc<dyn ScheduleSource> {
    Arc::new(PlanSchedules { pool })
}
