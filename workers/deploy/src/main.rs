//! `lawha-deploy-worker`: serves the `deployments.local` queue (Deploy) as a process of its own on the panel's
//! machine, with the panel's configuration (`LAWHA_CONFIG`, `LAWHA_*`, the `[deployments]` section). SIGTERM stops
//! taking jobs, lets in-flight jobs finish within `jobs.shutdown_grace_secs`, and exits 0; the apps it started
//! keep running (a unit needs `KillMode=process`), and a deployment cut short resumes at its step when its job runs
//! again.

use std::process::ExitCode;

use lawha_config::Config;
use lawha_deploy_worker::{Deps, register};
use lawha_jobs::{
    binary,
    registry::DEPLOYMENTS_LOCAL,
    runtime::{Runtime, Settings},
};

const HELP: &str = "lawha-deploy-worker: runs Lawha's deployments of the sites on this machine (the \
    `deployments.local` queue): fetch, build, start on the idle colour, health check, nginx switch, drain.\n\n\
    Usage: lawha-deploy-worker\n\n\
    Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…), and the \
    [deployments] section (releases_dir, state_dir, nginx_upstream_dir, nginx_test_command, nginx_reload_command, \
    the steps' times, docker_command).\n\
    SIGTERM or SIGINT: stop taking jobs, finish in-flight ones within jobs.shutdown_grace_secs, exit 0. The apps \
    the worker started keep running.";

fn main() -> ExitCode {
    binary::main(HELP, serve)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (db, queues) = binary::connect(&config).await?;
    let deps = Deps::new(db.clone(), &config);
    let stale = deps.remove_stale_deploy_keys().await;
    if stale > 0 {
        tracing::info!(count = stale, "removed deploy keys a killed worker left behind");
    }
    let runtime = register(Runtime::new(&db, queues, Settings::from_config(&config)), &deps);
    binary::serve(runtime, db, DEPLOYMENTS_LOCAL).await
}
