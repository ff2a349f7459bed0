//! The deploy worker's settings (`[deployments]`): where releases and the apps' state live on the host, how the
//! worker reaches nginx (the folder of the sites' upstream files, the test and reload commands) and docker, and
//! the time each step of a deployment may take.

use std::path::{Path, PathBuf};

/// The longest a deployment's timed steps may take together, in seconds: the `Deploy` job's limit is an hour, and
/// five minutes stay for starting, switching, stopping and pruning.
pub const DEPLOYMENT_STEPS_MAX_SECS: u64 = 3300;

/// The host name of the panel's own machine unless `deployments.host` says otherwise.
pub const DEFAULT_HOST: &str = "local";

pub use lawha_domain::hosts::{is_host_label, is_host_name};

/// How the deploy worker runs deployments on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentsConfig {
    /// The name of this machine among the panel's hosts: its deploy worker serves the queue
    /// `deployments.<host>` and registers under this name; a site names the host it runs on (`local`, the
    /// panel's own machine, by default).
    pub host: String,
    /// Free labels this host registers with (`region=eu`, `gpu`), shown on the hosts page.
    pub host_labels: Vec<String>,
    /// Where each site's releases are kept (`<releases_dir>/<site>/<release>`), the folders a rollback serves
    /// again.
    pub releases_dir: PathBuf,
    /// Where the `process` runtime keeps each colour's pid, start time and log (`<state_dir>/<site>/<colour>.*`),
    /// so a restarted worker finds the apps it started; the deploy key's temporary file is written here too.
    pub state_dir: PathBuf,
    /// The folder of the sites' upstream files (`<site>.upstream.conf`, one `server 127.0.0.1:<port>;` line),
    /// each included by its site's nginx configuration: the line the switch rewrites.
    pub nginx_upstream_dir: PathBuf,
    /// The command that checks nginx's configuration before a reload, as words (`nginx -t`); empty runs none
    /// (`none` in the file or the environment).
    pub nginx_test_command: Vec<String>,
    /// The command that makes nginx read the new upstream (`nginx -s reload`); empty runs none (`none`).
    pub nginx_reload_command: Vec<String>,
    /// Seconds one fetch of a commit may take, SSH included.
    pub fetch_timeout_secs: u64,
    /// Seconds a site's build command (or a Docker image's build) may take.
    pub build_timeout_secs: u64,
    /// Seconds a new colour has to pass its health gate.
    pub health_deadline_secs: u64,
    /// Seconds the old colour keeps running after the switch, so the requests it holds finish.
    pub drain_secs: u64,
    /// The docker CLI the `docker` runtime runs (`docker` on `PATH`, or a path).
    pub docker_command: String,
    /// The `systemd-run` the `systemd` runtime runs (`systemd-run` on `PATH`, or a path, whose folder then also
    /// gives `systemctl`).
    pub systemd_run_command: String,
}

impl DeploymentsConfig {
    /// The defaults: releases and state under `<data_dir>/deployments`, nginx's upstream files in
    /// `/etc/nginx/lawha-sites`, `nginx -t` and `nginx -s reload`, and the steps' times (300 s to fetch, 1800 s to
    /// build, 60 s to be healthy, 10 s of drain).
    pub fn defaults(data_dir: &Path) -> Self {
        let words = |text: &str| text.split_whitespace().map(str::to_owned).collect();
        Self {
            host: DEFAULT_HOST.to_owned(),
            host_labels: Vec::new(),
            releases_dir: data_dir.join("deployments").join("releases"),
            state_dir: data_dir.join("deployments").join("state"),
            nginx_upstream_dir: PathBuf::from("/etc/nginx/lawha-sites"),
            nginx_test_command: words("nginx -t"),
            nginx_reload_command: words("nginx -s reload"),
            fetch_timeout_secs: 300,
            build_timeout_secs: 1800,
            health_deadline_secs: 60,
            drain_secs: 10,
            docker_command: "docker".to_owned(),
            systemd_run_command: "systemd-run".to_owned(),
        }
    }

    /// The upstream file of the site named `site`: `<nginx_upstream_dir>/<site>.upstream.conf`.
    pub fn upstream_file(&self, site: &str) -> PathBuf {
        self.nginx_upstream_dir.join(format!("{site}.upstream.conf"))
    }
}
