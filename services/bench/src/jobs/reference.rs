//! The Celery reference of `lawha bench jobs`, run in the same session.

use tokio::process::Command;

use super::JobsArgs;
use crate::common::python_with;

/// What the reference needs in the benchmarks' Python.
const CELERY: &str = "celery[redis]>=5,<6";

/// The Celery reference: tasks/s, or None (with the reason printed) when Celery cannot be installed or run.
pub(super) async fn celery(args: &JobsArgs) -> Option<f64> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("celery_noop.py");
    let broker = format!("{}/15", args.redis_url.trim_end_matches('/'));
    let python = match python_with(&[CELERY], &["celery", "redis"]).await {
        Ok(python) => python,
        Err(e) => {
            println!("reference: Celery could not be installed ({e:#})");
            return None;
        }
    };
    let output = Command::new(&python).arg(&script).args(["run", &broker, &args.jobs.to_string()]).output().await;
    let text = match output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            println!("reference: Celery did not run ({})", err.lines().last().unwrap_or("").trim());
            return None;
        }
        Err(e) => {
            println!("reference: {} could not be run ({e})", python.display());
            return None;
        }
    };
    print!("reference: {text}");
    let rate = text.split_whitespace().rev().nth(1)?.parse().ok();
    if rate.is_none() {
        println!("reference: no rate in Celery's output");
    }
    rate
}
