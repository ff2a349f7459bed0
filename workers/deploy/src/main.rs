//! `lawha-deploy-worker`: serves the `deployments.local` queue (Deploy) as a process of its own on the panel's
//! machine, with the panel's configuration (`LAWHA_CONFIG`, `LAWHA_*`, the `[deployments]` section). SIGTERM stops
//! taking jobs, lets in-flight jobs finish within `jobs.shutdown_grace_secs`, and exits 0; the apps it started
//! keep running (a unit needs `KillMode=process`), and a deployment cut short resumes at its step when its job runs
//! again.

use std::{process::ExitCode, time::Duration};

use lawha_config::{Config, LoadOptions};
use lawha_deploy_worker::{Deps, register};
use lawha_jobs::{
    queue::Queues,
    registry::DEPLOYMENTS_LOCAL,
    runtime::{Runtime, Settings, shutdown_signal},
};
use lawha_store::{ChainKey, Database, DatabaseOptions};

fn main() -> ExitCode {
    if std::env::args().nth(1).is_some_and(|a| a == "--help" || a == "-h") {
        println!(
            "lawha-deploy-worker: runs Lawha's deployments of the sites on this machine (the `deployments.local` \
             queue): fetch, build, start on the idle colour, health check, nginx switch, drain.\n\n\
             Usage: lawha-deploy-worker\n\n\
             Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…), \
             and the [deployments] section (releases_dir, state_dir, nginx_upstream_dir, nginx_test_command, \
             nginx_reload_command, the steps' times, docker_command).\n\
             SIGTERM or SIGINT: stop taking jobs, finish in-flight ones within jobs.shutdown_grace_secs, exit 0. \
             The apps the worker started keep running."
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
    // Deploy keys and environment values sealed under a previous secret key still open.
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
    let stale = deps.remove_stale_deploy_keys().await;
    if stale > 0 {
        tracing::info!(count = stale, "removed deploy keys a killed worker left behind");
    }
    let runtime = register(Runtime::new(&db, queues, Settings::from_config(&config)), &deps);
    runtime.run(&[DEPLOYMENTS_LOCAL.to_owned()], shutdown_signal()).await?;
    db.close().await;
    Ok(())
}
