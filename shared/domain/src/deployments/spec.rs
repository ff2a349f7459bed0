//! What a site says, and every rule about it that needs no I/O, each problem reported with its field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    Ports, Runtime, SecretRef,
    checks::{self, RepositoryKind, RepositoryProblem},
    messages,
};
use crate::message::Message;

/// How many releases a site keeps when its spec does not say.
pub const DEFAULT_RELEASES_TO_KEEP: u32 = 5;

fn default_releases_to_keep() -> u32 {
    DEFAULT_RELEASES_TO_KEEP
}

/// The environment of a site's releases: the variables' names, and their values sealed together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVars {
    /// The variables' names, in the order they were given.
    #[serde(default)]
    pub names: Vec<String>,
    /// The values of all of them, sealed as one secret; present exactly when there are names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_secret: Option<SecretRef>,
}

/// Everything a site says. The webhook secret is not here: it is given at creation and changed only by a
/// rotation, never by an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSpec {
    /// A unique name, also the name of the folder of its releases.
    pub name: String,
    /// Where the code comes from: `https://host/path`, `git@host:path`, `ssh://host/path` or `file:///path`.
    pub repository: String,
    /// The branch that is deployed; a push to `refs/heads/<branch>` deploys it.
    pub branch: String,
    /// The SSH key the worker fetches with (only for an SSH repository), as a reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_key_secret: Option<SecretRef>,
    /// What builds a release in its folder (`npm ci && npm run build`); None when nothing needs building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_command: Option<String>,
    /// What runs a release; it must listen on `$PORT`, the port of the colour it is started on.
    pub start_command: String,
    /// How the release runs.
    pub runtime: Runtime,
    /// The path the health check asks for on the new colour before the switch (`/health`).
    pub health_path: String,
    /// The releases' environment variables.
    #[serde(default)]
    pub env: EnvVars,
    /// The port of each colour.
    pub ports: Ports,
    /// The host names the site answers to, lowercase.
    #[serde(default)]
    pub domains: Vec<String>,
    /// How many releases stay on disk for rollbacks, 1-50.
    #[serde(default = "default_releases_to_keep")]
    pub releases_to_keep: u32,
    /// The machine the site runs on (its deploy worker takes `deployments.<host>`); the API puts the panel's
    /// own when the client names none.
    pub host: String,
}

impl SiteSpec {
    /// The environment variable the deployment sets itself.
    pub const RESERVED_ENV: &'static str = "PORT";

    /// Every rule that needs no I/O, each problem with its field, named by its path in the spec (`ports.blue`,
    /// `env.names`); at most one problem per field (of a list, the first value that breaks a rule). Empty when
    /// the spec is valid.
    pub fn problems(&self) -> Vec<(&'static str, Message)> {
        let mut problems = Vec::new();
        if !checks::is_site_name(&self.name) {
            problems.push(("name", messages::name_invalid()));
        }
        let kind = match checks::repository_kind(&self.repository) {
            Ok(kind) => Some(kind),
            Err(RepositoryProblem::Shape) => {
                problems.push(("repository", messages::repository_invalid()));
                None
            }
            Err(RepositoryProblem::Credentials) => {
                problems.push(("repository", messages::repository_credentials()));
                None
            }
        };
        if !checks::is_branch_name(&self.branch) {
            problems.push(("branch", messages::branch_invalid()));
        }
        if self.deploy_key_secret.is_some() && kind.is_some_and(|kind| kind != RepositoryKind::Ssh) {
            problems.push(("deploy_key_secret", messages::deploy_key_needs_ssh()));
        }
        if self.build_command.as_deref().is_some_and(|command| !checks::is_command(command)) {
            problems.push(("build_command", messages::command_invalid()));
        }
        if !checks::is_command(&self.start_command) {
            problems.push(("start_command", messages::command_invalid()));
        } else if !checks::uses_port(&self.start_command) {
            problems.push(("start_command", messages::start_command_port()));
        }
        if !checks::is_health_path(&self.health_path) {
            problems.push(("health_path", messages::health_path_invalid()));
        }
        if let Some(problem) = self.env_names_problem() {
            problems.push(("env.names", problem));
        }
        match (self.env.names.is_empty(), self.env.values_secret.is_some()) {
            (false, false) => problems.push(("env.values_secret", messages::env_values_missing())),
            (true, true) => problems.push(("env.values_secret", messages::env_values_unexpected())),
            _ => {}
        }
        for (field, port) in [("ports.blue", self.ports.blue), ("ports.green", self.ports.green)] {
            if port < 1024 {
                problems.push((field, messages::port_range()));
            }
        }
        if self.ports.blue == self.ports.green {
            problems.push(("ports", messages::ports_same()));
        }
        if let Some(problem) = self.domains_problem() {
            problems.push(("domains", problem));
        }
        if !(1..=50).contains(&self.releases_to_keep) {
            problems.push(("releases_to_keep", messages::releases_to_keep_range()));
        }
        if !crate::hosts::is_host_name(&self.host) {
            problems.push(("host", messages::host_invalid()));
        }
        problems
    }

    fn env_names_problem(&self) -> Option<Message> {
        let mut seen = BTreeSet::new();
        self.env.names.iter().find_map(|name| {
            if !checks::is_env_name(name) {
                Some(messages::env_name_invalid(name))
            } else if name == Self::RESERVED_ENV {
                Some(messages::env_name_reserved(name))
            } else if !seen.insert(name.as_str()) {
                Some(messages::env_name_duplicate(name))
            } else {
                None
            }
        })
    }

    fn domains_problem(&self) -> Option<Message> {
        let mut seen = BTreeSet::new();
        self.domains.iter().find_map(|domain| {
            if !checks::is_hostname(domain) {
                Some(messages::domain_invalid(domain))
            } else if !seen.insert(domain.as_str()) {
                Some(messages::domain_duplicate(domain))
            } else {
                None
            }
        })
    }
}

/// "Every problem, each with its field" as one message: `the site is invalid: branch …; ports …`.
pub fn site_invalid<F: AsRef<str>>(problems: &[(F, Message)]) -> Message {
    let lines = problems.iter().map(|(field, problem)| messages::field_problem(field.as_ref(), problem.clone()));
    messages::site_invalid(lines.collect::<Vec<_>>())
}
