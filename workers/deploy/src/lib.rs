//! The deploy worker: zero-downtime blue-green deployments of the sites of its host. The `Deploy` job handler
//! ([`register`]) drives the engine step by step and records each step on the deployment's stream; the
//! `lawha-deploy-worker` binary serves the `deployments.<host>` queue of its host (`deployments.host`) with it,
//! and registers the host and heartbeats while it runs ([`host`]).
//!
//! [`engine`] holds the steps as library calls that know nothing of jobs, events or the panel:
//! [`engine::git`] fetches exactly one commit into a fresh release folder, [`engine::command`] runs the build
//! (and every other external command) in a process group of its own with its output streamed into the
//! deployment's log, [`engine::runtime`] starts, stops and watches a release on a colour (the `process`,
//! `systemd` and `docker` runtimes), [`engine::health`] is the
//! gate a new colour passes before it receives traffic, [`engine::nginx`] the atomic switch of a site's
//! upstream, and [`engine::releases`] the release folders and their pruning.
//!
//! A release runs beside the one that serves, on the idle colour's port; nothing reaches users until the health
//! gate passed and nginx accepted the new upstream, and a failed switch puts the previous upstream back. The old
//! colour keeps running until its requests are done (the drain), then the handler stops it.
//!
//! The handler (`deploy.rs`) reads the deployment and its site from the log, waits until no earlier deployment of
//! the site is active (`wait.rs`, on the `deployments` read model) and holds the site's lock (`lock.rs`), so the
//! deployments of one site never overlap; then it continues from the deployment's due step (`steps.rs`), so a
//! redelivered job resumes where the last attempt stopped and a step in flight when a worker died is done again.
//! Every fact has an id derived from the job (`record.rs`, invariant 4). A failed step is recorded with the
//! engine's reason and the job fails for good: a deployment is not retried blindly; only the database's failures
//! are retried.
//!
//! [`messages`] holds every line this crate writes for a person; their words are in `locales/{en,ar}/deploy.ftl`
//! beside the crate. The engine never reads the panel's configuration or database, and never gives a child
//! process more of the worker's environment than `PATH`, `HOME` and `LANG` plus what the step sets for it.

mod deploy;
pub mod engine;
pub mod host;
mod lock;
pub mod messages;
mod record;
mod steps;
mod target;
mod wait;
mod watch;

use std::{path::PathBuf, time::Duration};

use lawha_config::Config;
use lawha_domain::deployments::{Colour, Runtime as SiteRuntime};
use lawha_jobs::runtime::Runtime;
use lawha_store::{Database, SealKey};

pub use deploy::Deploy;
use engine::{
    nginx::Nginx,
    releases::Releases,
    runtime::{AppRuntime, docker::DockerRuntime, process::ProcessRuntime, systemd::SystemdRuntime},
};

/// How long a colour that is stopped (the old one after the drain, or the new one after a failure) gets to end
/// before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How old a deploy key's file must be before a starting worker removes it as a killed worker's leftover.
const STALE_KEY_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// What the handler shares: the log, the key that opens the sites' secrets, and how this host runs releases.
#[derive(Debug, Clone)]
pub struct Deps {
    /// The event log and the read models (the wait for earlier deployments, the live colour).
    pub db: Database,
    /// Opens deploy keys and environment values (purpose [`lawha_domain::deployments::SEAL_PURPOSE`]).
    pub seal: SealKey,
    /// The sites' release folders (`deployments.releases_dir`).
    pub releases: Releases,
    /// The process runtime's files and the deploy keys' temporary files (`deployments.state_dir`).
    pub state_dir: PathBuf,
    /// The folder of the sites' upstream files (`deployments.nginx_upstream_dir`).
    pub upstream_dir: PathBuf,
    /// nginx's test and reload commands.
    pub nginx: Nginx,
    /// The time limit of one fetch.
    pub fetch_timeout: Duration,
    /// The time limit of a build (the site's command, or a Docker image's).
    pub build_timeout: Duration,
    /// The health gate's deadline.
    pub health_deadline: Duration,
    /// How long the old colour keeps serving after the switch.
    pub drain: Duration,
    /// Apps as process groups of this host.
    pub process: ProcessRuntime,
    /// Apps as transient units of the worker user's systemd.
    pub systemd: SystemdRuntime,
    /// Apps as Docker containers.
    pub docker: DockerRuntime,
}

impl Deps {
    /// The handler's dependencies: the database, and from the configuration the secret key (the seal) and the
    /// `[deployments]` section.
    pub fn new(db: Database, config: &Config) -> Self {
        let d = &config.deployments;
        Self {
            db,
            seal: SealKey::derive(config.secret_key_bytes(), lawha_domain::deployments::SEAL_PURPOSE),
            releases: Releases::new(&d.releases_dir),
            state_dir: d.state_dir.clone(),
            upstream_dir: d.nginx_upstream_dir.clone(),
            nginx: Nginx {
                test: d.nginx_test_command.clone(),
                reload: d.nginx_reload_command.clone(),
                ..Nginx::default()
            },
            fetch_timeout: Duration::from_secs(d.fetch_timeout_secs),
            build_timeout: Duration::from_secs(d.build_timeout_secs),
            health_deadline: Duration::from_secs(d.health_deadline_secs),
            drain: Duration::from_secs(d.drain_secs),
            process: ProcessRuntime::new(&d.state_dir),
            systemd: SystemdRuntime::new(&d.state_dir, d.systemd_run_command.as_str()),
            docker: DockerRuntime::new(d.docker_command.as_str()),
        }
    }

    /// The upstream file of the site named `site`: `<upstream_dir>/<site>.upstream.conf`.
    pub fn upstream_file(&self, site: &str) -> PathBuf {
        self.upstream_dir.join(format!("{site}.upstream.conf"))
    }

    /// Removes the deploy keys a killed worker left in the state folder (a fetch removes its own key when it
    /// ends; a key older than two hours outlived any fetch, whose limit is at most one); returns how many. Run
    /// when the worker starts.
    pub async fn remove_stale_deploy_keys(&self) -> usize {
        steps::remove_stale_keys(&self.state_dir, STALE_KEY_AGE).await
    }

    /// The runtime that runs a site's releases.
    pub fn runtime(&self, runtime: SiteRuntime) -> &dyn AppRuntime {
        match runtime {
            SiteRuntime::Process => &self.process,
            SiteRuntime::Systemd => &self.systemd,
            SiteRuntime::Docker => &self.docker,
        }
    }
}

/// The colour whose port is `port`, if either's is.
pub(crate) fn colour_of(ports: lawha_domain::deployments::Ports, port: u16) -> Option<Colour> {
    [Colour::Blue, Colour::Green].into_iter().find(|c| ports.of(*c) == port)
}

/// Adds the `Deploy` handler to a runtime.
pub fn register(runtime: Runtime, deps: &Deps) -> Runtime {
    runtime.handle("Deploy", Deploy(deps.clone()))
}
