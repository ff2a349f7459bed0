//! `lawha-deploy-worker`: serves the `deployments.<host>` queue (Deploy) of this machine (`deployments.host`,
//! `local` by default) as a process of its own, with the panel's configuration (`LAWHA_CONFIG`, `LAWHA_*`, the
//! `[deployments]` section). It registers the host when it starts and heartbeats while it runs. SIGTERM stops
//! taking jobs, lets in-flight jobs finish within `jobs.shutdown_grace_secs`, records that the host stopped and
//! exits 0; the apps it started keep running (a unit needs `KillMode=process`), and a deployment cut short
//! resumes at its step when its job runs again.

use std::process::ExitCode;

use lawha_config::Config;
use lawha_deploy_worker::{Deps, host::Presence, register};
use lawha_jobs::{
    binary, registry,
    runtime::{Runtime, Settings, shutdown_signal},
};

const HELP: &str = "lawha-deploy-worker: runs Lawha's deployments of the sites on this machine (the \
    `deployments.<host>` queue, the host being `deployments.host`, `local` by default): fetch, build, start on \
    the idle colour, health check, nginx switch, drain. It registers the host at start and heartbeats (the \
    panel's Hosts page shows it), and asks its live sites' health path every 30 s (lawha_site_up).\n\n\
    Usage: lawha-deploy-worker [--metrics-listen ADDR]\n\n\
    Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…), and the \
    [deployments] section (host, host_labels, releases_dir, state_dir, nginx_upstream_dir, nginx_test_command, \
    nginx_reload_command, the steps' times, docker_command, systemd_run_command).\n\
    SIGTERM or SIGINT: stop taking jobs, finish in-flight ones within jobs.shutdown_grace_secs, record that the \
    host stopped, exit 0. The apps the worker started keep running.";

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
    let queue = registry::queue_of_host(registry::DEPLOYMENTS, &config.deployments.host);
    let presence = Presence::start(&db, &config).await?;
    let served = runtime.run(&[queue], shutdown_signal()).await;
    presence.stop().await;
    db.close().await;
    served
}
