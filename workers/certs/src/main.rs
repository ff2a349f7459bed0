//! `lawha-cert-worker`: serves the `certificates.<host>` queue (IssueCertificate, RenewCertificate) of this
//! machine (`deployments.host`, `local` by default) as a process of its own, with the panel's configuration
//! (`LAWHA_CONFIG`, `LAWHA_*`, the `[certificates]` section), and runs the renewal check of the host's
//! certificates beside it. SIGTERM stops taking jobs, lets in-flight orders finish within
//! `jobs.shutdown_grace_secs`, stops the check and exits 0; an order cut short runs again when its job is
//! redelivered.

use std::{process::ExitCode, time::Duration};

use lawha_cert_worker::{Deps, engine::fsutil, register, run_check};
use lawha_config::Config;
use lawha_jobs::{
    binary, registry,
    runtime::{Runtime, Settings, shutdown_signal},
};
use tokio_util::sync::CancellationToken;

/// What `--help` prints (before the options every worker binary shares).
const HELP: &str = "lawha-cert-worker: orders, installs and renews the TLS certificates of this machine (the \
    `certificates.<host>` queue, the host being `deployments.host`, `local` by default) from their ACME CA \
    (HTTP-01 through nginx's webroot, DNS-01 through the certificate's hook), and runs the renewal check beside \
    it (the CA's ARI window, else a third of the lifetime left; lawha_certificate_expiry_seconds).\n\n\
    Usage: lawha-cert-worker [--metrics-listen ADDR]\n\n\
    Configuration as for `lawha` (LAWHA_CONFIG, LAWHA_DATABASE_URL, LAWHA_REDIS_URL, LAWHA_SECRET_KEY…), the \
    [certificates] section (dir, webroot, check_interval_secs, dns_hook_timeout_secs) and nginx's commands of \
    [deployments] (nginx_test_command, nginx_reload_command).\n\
    SIGTERM or SIGINT: stop taking jobs, finish in-flight orders within jobs.shutdown_grace_secs, exit 0.";

fn main() -> ExitCode {
    binary::main(HELP, serve)
}

/// Serves the host's queue and runs its renewal check until SIGTERM or SIGINT.
async fn serve(config: Config) -> anyhow::Result<()> {
    fsutil::check_dir(&config.certificates.dir).map_err(|reason| anyhow::anyhow!("certificates.dir: {reason}"))?;
    let (db, queues) = binary::connect(&config).await?;
    let deps = Deps::new(db.clone(), &config);
    let runtime = register(Runtime::new(&db, queues, Settings::from_config(&config)), &deps);
    let host = config.deployments.host.clone();
    let queue = registry::queue_of_host(registry::CERTIFICATES, &host);
    let stop = CancellationToken::new();
    let interval = Duration::from_secs(config.certificates.check_interval_secs.max(5));
    let check = tokio::spawn(run_check(deps, host, interval, stop.clone().cancelled_owned()));
    let served = runtime.run(&[queue], shutdown_signal()).await;
    stop.cancel();
    let _ = check.await;
    db.close().await;
    served
}
