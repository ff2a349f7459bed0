//! This worker's host among the panel's hosts: registered when the worker starts (`HostRegistered`, with the
//! runtimes it can run here), a heartbeat every [`HEARTBEAT_SECS`] into `host_heartbeats` while it runs, and
//! `HostStopped` when it stops on a signal. The panel's hosts page reads both; a worker that was killed stops
//! heartbeating and shows as offline. While it runs, it also watches its live sites' health (`watch.rs`).

use std::{path::Path, time::Duration};

use lawha_config::Config;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, Metadata,
    deployments::Runtime,
    hosts::{Host, HostCommand, HostEvent},
};
use lawha_store::{AppendError, CommandError, Database};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Seconds between two heartbeats.
pub const HEARTBEAT_SECS: i64 = 10;

/// How often a registration is tried again when another start of the same host wrote meanwhile.
const CONFLICT_RETRIES: usize = 5;

/// A registered host whose heartbeat runs until [`Presence::stop`].
#[derive(Debug)]
pub struct Presence {
    db: Database,
    name: String,
    metadata: Metadata,
    stop: CancellationToken,
    beating: JoinHandle<()>,
    watching: JoinHandle<()>,
}

/// The runtimes this machine can run: `process` always, `docker` when the docker CLI is found, `systemd` when
/// systemd runs the machine and `deployments.systemd_run_command` is found.
pub fn runtimes(config: &Config) -> Vec<Runtime> {
    let mut offered = vec![Runtime::Process];
    if Path::new("/run/systemd/system").is_dir() && found(&config.deployments.systemd_run_command) {
        offered.push(Runtime::Systemd);
    }
    if found(&config.deployments.docker_command) {
        offered.push(Runtime::Docker);
    }
    offered
}

/// Whether `program` is a path that exists or a name found on `PATH`. `PATH` is read as the programs the worker
/// runs will see it, not as configuration (which `lawha_config` alone reads).
#[allow(clippy::disallowed_methods)]
fn found(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

impl Presence {
    /// Registers this worker's host (`deployments.host`) and starts its heartbeat.
    pub async fn start(db: &Database, config: &Config) -> anyhow::Result<Self> {
        let name = config.deployments.host.clone();
        let metadata = Metadata { actor: Some(format!("worker:lawha-deploy-worker@{name}")), ..Metadata::default() };
        let command = HostCommand::Register {
            name: name.clone(),
            labels: config.deployments.host_labels.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            runtimes: runtimes(config),
        };
        record(db, &name, &command, &metadata).await?;
        beat(db, &name).await?;
        let stop = CancellationToken::new();
        let beating = tokio::spawn(heartbeats(db.clone(), name.clone(), stop.clone()));
        let watching = tokio::spawn(crate::watch::run(db.clone(), name.clone(), stop.clone()));
        tracing::info!(host = %name, "registered this host");
        Ok(Self { db: db.clone(), name, metadata, stop, beating, watching })
    }

    /// Stops the heartbeat and records that the host's worker stopped.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.beating.await;
        let _ = self.watching.await;
        if let Err(error) = record(&self.db, &self.name, &HostCommand::Stop, &self.metadata).await {
            tracing::warn!(host = %self.name, error = %format!("{error:#}"), "could not record that the host stopped");
        }
    }
}

/// Decides and appends `command` on the host's stream, deciding again when another start of the same host wrote
/// meanwhile.
async fn record(db: &Database, name: &str, command: &HostCommand, metadata: &Metadata) -> anyhow::Result<()> {
    let (stream, envelope) =
        (Host::stream(Host::id_of(name)), |_: &Host, e: &HostEvent| e.to_new_event(metadata.clone()));
    match lawha_store::execute_retrying::<Host>(db.events.as_ref(), &stream, command, envelope, CONFLICT_RETRIES).await
    {
        Ok(_) => Ok(()),
        Err(CommandError::Append(AppendError::Conflict { .. })) => {
            anyhow::bail!("the host's record kept changing under {CONFLICT_RETRIES} attempts")
        }
        Err(CommandError::Rejected(rejection)) => Err(rejection.into()),
        Err(CommandError::Append(error)) => Err(error.into()),
    }
}

/// Writes this host's heartbeat now.
async fn beat(db: &Database, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO host_heartbeats (name, last_seen) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen",
    )
    .bind(name.to_owned())
    .bind(chrono::Utc::now().timestamp())
    .execute(&db.read_models)
    .await
    .map(drop)
}

async fn heartbeats(db: Database, name: String, stop: CancellationToken) {
    let every = Duration::from_secs(HEARTBEAT_SECS.unsigned_abs());
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(error) = beat(&db, &name).await {
            tracing::warn!(host = %name, %error, "could not write this host's heartbeat; trying again");
        }
    }
}
