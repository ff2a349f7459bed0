//! The `Probe` job: sleeps, then succeeds, fails (retryably or not) or panics, as its request asked. Admins use it
//! to check that queues and workers work end to end (`POST /api/v1/admin/probe`); the pipeline's tests and
//! `lawha bench jobs` use it to exercise retries, dead letters, timeouts, crashes and throughput.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::{
    messages,
    runtime::{Handler, JobContext, JobError},
};

/// The probe's handler.
#[derive(Debug, Clone, Copy, Default)]
pub struct Probe;

#[async_trait]
impl Handler for Probe {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let payload = &ctx.job.payload;
        let sleep_ms = payload.get("sleep_ms").and_then(Value::as_u64).unwrap_or(0);
        let outcome = payload.get("outcome").and_then(Value::as_str).unwrap_or("succeed");
        if sleep_ms > 0 {
            ctx.log(messages::probe_sleeping(ctx.job.attempt, sleep_ms)).await;
            tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
        }
        match outcome {
            "fail" => Err(JobError::Retryable(messages::probe_failed(ctx.job.attempt))),
            "fail_permanently" => Err(JobError::Permanent(messages::probe_failed_permanently())),
            "panic" => panic!("probe asked to panic (attempt {})", ctx.job.attempt),
            _ => Ok(json!({ "slept_ms": sleep_ms })),
        }
    }
}
