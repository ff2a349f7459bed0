//! What every worker binary (`lawha-backup-worker`, `lawha-deploy-worker`) does around its handlers: `--help`,
//! the panel's configuration (exit 78 listing every problem), logs, the async runtime, the database and the
//! queues, then its queue served until SIGTERM or SIGINT (in-flight jobs finish within
//! `jobs.shutdown_grace_secs`).

use std::{future::Future, process::ExitCode, time::Duration};

use lawha_config::{Config, LoadOptions};
use lawha_store::{ChainKey, Database, DatabaseOptions};

use crate::{
    queue::Queues,
    runtime::{Runtime, shutdown_signal},
};

/// A worker binary's `main`: prints `help` for `--help`/`-h`; otherwise loads the configuration, starts the logs
/// and the async runtime and runs `serve` on it. Exit codes: 0, 78 for a configuration problem, 1 otherwise.
pub fn main<F, Fut>(help: &str, serve: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    if std::env::args().nth(1).is_some_and(|a| a == "--help" || a == "-h") {
        println!("{help}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(&LoadOptions::from_process(None)) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(78);
        }
    };
    let format = match config.log.format.effective(config.profile) {
        lawha_config::LogFormat::Json => lawha_telemetry::Format::Json,
        _ => lawha_telemetry::Format::Pretty,
    };
    if let Err(e) = lawha_telemetry::init(format, &config.log.level) {
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

/// The database and the queues a worker serves from, and its metrics recorder. Secrets sealed under a previous
/// secret key (`previous_secret_keys`) still open.
pub async fn connect(config: &Config) -> anyhow::Result<(Database, Queues)> {
    lawha_store::keyring::remember_previous_secrets(config.previous_secret_key_bytes());
    let options = DatabaseOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
        chain_key: ChainKey::derive(config.secret_key_bytes()),
    };
    let db = Database::connect(config.database_url.expose(), options).await?;
    let queues = Queues::connect(config).await?;
    lawha_telemetry::metrics();
    Ok((db, queues))
}

/// Serves `queue` with `runtime` until SIGTERM or SIGINT, then closes the database.
pub async fn serve(runtime: Runtime, db: Database, queue: &str) -> anyhow::Result<()> {
    runtime.run(&[queue.to_owned()], shutdown_signal()).await?;
    db.close().await;
    Ok(())
}
