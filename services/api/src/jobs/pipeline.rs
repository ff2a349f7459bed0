//! The job pipeline in this binary: `lawha serve` runs the scheduler, the audit chain's anchoring, the
//! dispatcher, the queue-depth sampler, the redispatch sweep and workers for its in-process queues
//! (`jobs.in_process`, which includes `admin` in every profile's default); `lawha worker` runs workers only, as a
//! process of its own. Both register the same handlers ([`runtime`]).

use std::{sync::Arc, time::Duration};

use lawha_config::Config;
use lawha_jobs::{
    dispatcher::{self, Dispatcher},
    probe::Probe,
    queue::{Queues, vacuum},
    runtime::{Runtime, Settings},
};
use lawha_store::{ChainKey, Database, ProjectionRunner};
use tokio_util::sync::CancellationToken;

use super::{handlers, redispatch, schedules};
use crate::audit::anchor::{self, Anchor};
use crate::http::health::{Availability, QueueState};

/// A runtime with every handler this binary has.
pub fn runtime(config: &Config, db: &Database, runner: &ProjectionRunner, queues: Queues) -> Runtime {
    let key = ChainKey::derive(config.secret_key_bytes());
    let runtime = Runtime::new(db, queues, Settings::from_config(config))
        .handle(
            "VerifyAuditChain",
            handlers::VerifyAuditChain { db: db.clone(), key: key.clone(), anchor: Anchor::new(config, key) },
        )
        .handle("RebuildProjection", handlers::RebuildProjection { runner: runner.clone() })
        .handle("Probe", Probe);
    let runtime = lawha_backup_worker::register(runtime, &lawha_backup_worker::Deps::new(db.clone(), config));
    let runtime = lawha_cert_worker::register(runtime, &lawha_cert_worker::Deps::new(db.clone(), config));
    lawha_deploy_worker::register(runtime, &lawha_deploy_worker::Deps::new(db.clone(), config))
}

/// The queues `lawha serve` works itself: those of `jobs.in_process` that this binary has handlers for. Every
/// profile's default includes `admin`, whose jobs (verify the chain, rebuild a projection) belong with the API.
pub fn in_process_queues(config: &Config, runtime: &Runtime) -> Vec<String> {
    runtime.servable_queues().into_iter().filter(|q| config.jobs.in_process.serves(q)).collect()
}

/// Connects to the queues, retrying with backoff until they answer or `stop` is cancelled: a panel whose Redis is
/// down still starts and accepts commands (their jobs wait in the log).
pub async fn connect(config: &Config, stop: &CancellationToken) -> Option<Queues> {
    connect_reporting(config, None, stop).await
}

/// [`connect`], telling `availability` (readiness) while the queue does not answer.
async fn connect_reporting(
    config: &Config,
    availability: Option<&Availability>,
    stop: &CancellationToken,
) -> Option<Queues> {
    let mut wait = Duration::from_millis(500);
    loop {
        match Queues::connect(config).await {
            Ok(queues) => return Some(queues),
            Err(error) => {
                if let Some(availability) = availability {
                    let error = error.to_string();
                    availability.set_queue(QueueState::Unreachable { since: chrono::Utc::now(), error });
                }
                tracing::warn!(%error, retry_in_ms = wait.as_millis(), "the job queue is unreachable; jobs wait in the log");
                tokio::select! {
                    () = stop.cancelled() => return None,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(15));
            }
        }
    }
}

/// `lawha serve`'s part of the pipeline, until `stop` is cancelled.
pub async fn serve(
    config: Arc<Config>,
    db: Database,
    runner: ProjectionRunner,
    availability: Availability,
    stop: CancellationToken,
) {
    // The scheduler only appends requests, so it runs whether or not the queue answers.
    let source = Arc::new(lawha_jobs::schedule::Sources(vec![
        Arc::new(schedules::builtin(&config)),
        crate::backups::schedules::source(db.read_models.clone()),
    ]));
    let scheduler =
        tokio::spawn(lawha_jobs::schedule::run(Arc::clone(&db.events), source, stop.clone(), Duration::from_secs(30)));
    // Anchoring reads the log and writes files only, so it runs whether or not the queue answers.
    let anchoring = tokio::spawn(anchor::run(Arc::clone(&config), db.clone(), stop.clone()));
    let Some(queues) = connect_reporting(&config, Some(&availability), &stop).await else {
        let _ = scheduler.await;
        let _ = anchoring.await;
        return;
    };
    let poll = Duration::from_millis(config.projections.poll_interval_ms.min(250));
    let dispatcher = Dispatcher::new(db.clone(), queues.clone(), 500, poll);
    let sampler =
        tokio::spawn(dispatcher::sample_depths(Arc::new(queues.clone()), Duration::from_secs(5), stop.clone()));
    let dispatching = tokio::spawn(dispatcher.run(stop.clone()));
    let after = Duration::from_secs(config.jobs.redispatch_after_secs);
    let sweeping = tokio::spawn(redispatch::run(db.clone(), queues.clone(), after, availability, stop.clone()));
    let vacuum = lawha_jobs::queue::vacuum::run(queues.clone(), vacuum::INTERVAL, vacuum::RETENTION, stop.clone());
    let cleaning = tokio::spawn(vacuum);
    let runtime = runtime(&config, &db, &runner, queues);
    let served = in_process_queues(&config, &runtime);
    // Deploying in-process makes this machine one of the hosts, registered and heartbeating like a worker's.
    let own = lawha_jobs::registry::queue_of_host(lawha_jobs::registry::DEPLOYMENTS, &config.deployments.host);
    let presence = if served.contains(&own) {
        match lawha_deploy_worker::host::Presence::start(&db, &config).await {
            Ok(presence) => Some(presence),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not register this host; deployments still run");
                None
            }
        }
    } else {
        None
    };
    // Ordering certificates in-process makes this process the host's cert worker: its renewal check too.
    let own_certs = lawha_jobs::registry::queue_of_host(lawha_jobs::registry::CERTIFICATES, &config.deployments.host);
    let checking = served.contains(&own_certs).then(|| {
        let deps = lawha_cert_worker::Deps::new(db.clone(), &config);
        let interval = Duration::from_secs(config.certificates.check_interval_secs);
        let signal = stop.clone();
        tokio::spawn(lawha_cert_worker::run_check(deps, config.deployments.host.clone(), interval, async move {
            signal.cancelled().await;
        }))
    });
    let signal = stop.clone();
    if let Err(error) = runtime.run(&served, async move { signal.cancelled().await }).await {
        tracing::error!(error = %format!("{error:#}"), "in-process workers stopped");
    }
    if let Some(presence) = presence {
        presence.stop().await;
    }
    if let Some(checking) = checking {
        let _ = checking.await;
    }
    let _ = dispatching.await;
    let _ = sweeping.await;
    let _ = cleaning.await;
    let _ = sampler.await;
    let _ = scheduler.await;
    let _ = anchoring.await;
}
