//! `lawha-backup-worker`: serves the `backups` queue (RunBackup, VerifyBackup, RestoreBackup) as a process of its
//! own, with the panel's configuration (`LAWHA_CONFIG`, `LAWHA_*`). SIGTERM stops taking jobs, lets in-flight
//! jobs finish within `jobs.shutdown_grace_secs`, and exits 0.

use std::process::ExitCode;

use lawha_backup_worker::{Deps, register};
use lawha_config::Config;
use lawha_jobs::{
    binary,
    registry::BACKUPS,
    runtime::{Runtime, Settings},
};

const HELP: &str = "lawha-backup-worker: runs Lawha's backups, verifications and restores (the `backups` queue).\n\n\
    Usage: lawha-backup-worker [--metrics-listen ADDR]\n\n\
    Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…).\n\
    SIGTERM or SIGINT: stop taking jobs, finish in-flight ones within jobs.shutdown_grace_secs, exit 0.";

fn main() -> ExitCode {
    binary::main(HELP, serve)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (db, queues) = binary::connect(&config).await?;
    let deps = Deps::new(db.clone(), &config);
    // What restores of an earlier life of this worker left (a killed restore's staging folder, a swap cut short,
    // replaced folders kept long enough) is cleaned up before new jobs run.
    lawha_backup_worker::sweep::everywhere(&deps).await;
    // Identities and targets' passwords of jobs that died before they could forget them.
    for purpose in ["age_identity", "target_password"] {
        if let Err(e) =
            lawha_store::secrets::forget_older(&deps.db.read_models, purpose, chrono::TimeDelta::days(7)).await
        {
            tracing::warn!(error = %e, purpose, "forgetting week-old secrets failed");
        }
    }
    let runtime = register(Runtime::new(&db, queues, Settings::from_config(&config)), &deps);
    binary::serve(runtime, db, BACKUPS).await
}
