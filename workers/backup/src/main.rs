//! `lawha-backup-worker`: serves the `backups` queue (RunBackup, VerifyBackup, RestoreBackup) as a process of its
//! own, with the panel's configuration (`LAWHA_CONFIG`, `LAWHA_*`). SIGTERM stops taking jobs, lets in-flight
//! jobs finish within `jobs.shutdown_grace_secs`, and exits 0.

use std::{process::ExitCode, time::Duration};

use lawha_backup_worker::{Deps, register};
use lawha_config::{Config, LoadOptions};
use lawha_jobs::{
    queue::Queues,
    registry::BACKUPS,
    runtime::{Runtime, Settings, shutdown_signal},
};
use lawha_store::{ChainKey, Database, DatabaseOptions};

fn main() -> ExitCode {
    if std::env::args().nth(1).is_some_and(|a| a == "--help" || a == "-h") {
        println!(
            "lawha-backup-worker: runs Lawha's backups, verifications and restores (the `backups` queue).\n\n\
             Usage: lawha-backup-worker\n\n\
             Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…).\n\
             SIGTERM or SIGINT: stop taking jobs, finish in-flight ones within jobs.shutdown_grace_secs, exit 0."
        );
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(&LoadOptions::from_process(None)) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(78);
        }
    };
    if let Err(e) = lawha_telemetry::init(format(&config), &config.log.level) {
        eprintln!("error: {e}");
        return ExitCode::from(78);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn format(config: &Config) -> lawha_telemetry::Format {
    match config.log.format.effective(config.profile) {
        lawha_config::LogFormat::Json => lawha_telemetry::Format::Json,
        _ => lawha_telemetry::Format::Pretty,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Sealed passwords and identities made under a previous secret key still open (see `previous_secret_keys`).
    lawha_store::keyring::remember_previous_secrets(config.previous_secret_key_bytes());
    let options = DatabaseOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
        chain_key: ChainKey::derive(config.secret_key_bytes()),
    };
    let db = Database::connect(config.database_url.expose(), options).await?;
    let queues = Queues::connect(&config).await?;
    lawha_telemetry::metrics();
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
    runtime.run(&[BACKUPS.to_owned()], shutdown_signal()).await?;
    db.close().await;
    Ok(())
}
