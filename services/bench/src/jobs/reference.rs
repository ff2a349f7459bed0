//! Around the measured pipeline: the Celery reference run in the same session, and the clean-up of the bench's
//! Redis keys.

use tokio::process::Command;

use super::JobsArgs;

/// The Celery reference: tasks/s, or None (with the reason printed) when Celery or its script is missing.
pub(super) async fn celery(args: &JobsArgs) -> Option<f64> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("celery_noop.py");
    let broker = format!("{}/15", args.redis_url.trim_end_matches('/'));
    let output = Command::new("python3").arg(&script).args(["run", &broker, &args.jobs.to_string()]).output().await;
    let text = match output {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            println!(
                "reference: Celery did not run ({}); pip install 'celery[redis]>=5,<6'",
                err.lines().last().unwrap_or("").trim()
            );
            return None;
        }
        Err(e) => {
            println!("reference: python3 not found ({e})");
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

/// Removes every Redis key under `namespace`, so a bench leaves no queue behind (a run stores some 30,000 keys).
pub(super) async fn forget_namespace(url: &str, namespace: &str) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{namespace}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("UNLINK").arg(&keys).query_async(&mut conn).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
