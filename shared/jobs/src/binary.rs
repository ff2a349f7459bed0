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
    let metrics_listen = match options(std::env::args().skip(1)) {
        Ok(Options::Help) => {
            println!(
                "{help}\n\nOptions:\n  --metrics-listen ADDR  serve Prometheus metrics at http://ADDR/metrics \
                      (e.g. 127.0.0.1:9466); off by default\n  -h, --help             this text"
            );
            return ExitCode::SUCCESS;
        }
        Ok(Options::Run { metrics_listen }) => metrics_listen,
        Err(problem) => {
            eprintln!("error: {problem} (see --help)");
            return ExitCode::from(2);
        }
    };
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
    let served = runtime.block_on(async move {
        if let Some(addr) = metrics_listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (--metrics-listen): {e}"))?;
            tokio::spawn(lawha_telemetry::serve_metrics(listener, std::future::pending()));
        }
        serve(config).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What a worker binary's command line asks.
#[derive(Debug, PartialEq, Eq)]
enum Options {
    /// `--help` or `-h`.
    Help,
    /// Run, serving metrics at this address when given.
    Run { metrics_listen: Option<std::net::SocketAddr> },
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut metrics_listen = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Options::Help),
            "--metrics-listen" => {
                let addr = args.next().ok_or("--metrics-listen needs an address such as 127.0.0.1:9466")?;
                metrics_listen =
                    Some(addr.parse().map_err(|_| format!("--metrics-listen: {addr:?} is not an address:port"))?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Options::Run { metrics_listen })
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

#[cfg(test)]
mod tests {
    use super::{Options, options};

    fn parse(args: &[&str]) -> Result<Options, String> {
        options(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn the_command_line_takes_help_and_a_metrics_address_only() {
        assert_eq!(parse(&[]), Ok(Options::Run { metrics_listen: None }));
        assert_eq!(parse(&["-h"]), Ok(Options::Help));
        let addr = "127.0.0.1:9466".parse().ok();
        assert_eq!(parse(&["--metrics-listen", "127.0.0.1:9466"]), Ok(Options::Run { metrics_listen: addr }));
        assert!(parse(&["--metrics-listen"]).is_err());
        assert!(parse(&["--metrics-listen", "nowhere"]).is_err());
        assert!(parse(&["--queues", "x"]).is_err());
    }
}
