//! Deployments: sites (an application built from a git branch and served by two colours of releases behind a
//! switch) and deployments (one release of a site, from its request to the switch, or a precise failure), and
//! the pure half of GitHub webhooks (the signature and what a delivery asks for).
//!
//! A site lives in `site-<id>`; each deployment in `deployment-<id>`, starting with `DeploymentRequested`, the
//! event the dispatcher turns into a job on the `deployments.<host>` queue of the site's host. The worker records
//! each step on the deployment's stream with ids derived from the job (invariant 4): fetched, built, started on
//! the idle colour, healthy, switched, the old colour drained, succeeded; or failed at the step it was in. Checks
//! that need the machine or the network (does the repository answer, is a port free) are the worker's and the
//! API's; the rules here need nothing but the facts.
//!
//! Secrets never enter these events in clear (invariant 8): a deploy key, the values of the environment
//! variables and the webhook secret are sealed into the secrets table, and the events carry `secret:<uuid>`
//! ([`SecretRef`]).

mod checks;
mod deployment;
mod deployment_rules;
pub mod messages;
mod site;
mod spec;
#[cfg(test)]
mod tests;
pub mod webhook;

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use checks::{
    COMMAND_MAX_BYTES, RepositoryKind, RepositoryProblem, is_branch_name, is_commit, is_hostname, repository_kind,
};
pub use deployment::{DeploymentEvent, DeploymentStatus, LOG_TAIL_MAX_BYTES, Step, Trigger};
pub use deployment_rules::{Deployment, DeploymentCommand, DeploymentRejection};
pub use site::{Site, SiteCommand, SiteEvent, SiteRejection};
pub use spec::{DEFAULT_RELEASES_TO_KEEP, EnvVars, SiteSpec, site_invalid};

/// The seal purpose of the secrets a deploy worker opens: deploy keys and the values of environment variables
/// (the panel seals them, the worker opens them; both derive the key from the secret key with this purpose).
pub const SEAL_PURPOSE: &str = "deployment-site";

/// A reference to a sealed secret in the secrets table: `secret:<uuid>`, the uuid in its canonical hyphenated
/// lowercase form. It exists only in valid form, so an event can never carry a secret's value where its
/// reference belongs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretRef(String);

/// Why a text is not a secret reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a secret reference (secret:<uuid>)")]
pub struct NotASecretRef;

impl SecretRef {
    /// The prefix of every reference (the store's `secrets::PREFIX`).
    pub const PREFIX: &'static str = "secret:";

    /// The reference to the secret kept under `id`.
    pub fn new(id: Uuid) -> Self {
        Self(format!("{}{id}", Self::PREFIX))
    }

    /// Parses `secret:<uuid>`.
    pub fn parse(value: &str) -> Result<Self, NotASecretRef> {
        let id = value.strip_prefix(Self::PREFIX).ok_or(NotASecretRef)?;
        match Uuid::parse_str(id) {
            Ok(uuid) if uuid.to_string() == id => Ok(Self(value.to_owned())),
            _ => Err(NotASecretRef),
        }
    }

    /// The whole reference, as the store reads it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SecretRef {
    type Error = NotASecretRef;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SecretRef> for String {
    fn from(value: SecretRef) -> Self {
        value.0
    }
}

/// One of a site's two slots: a release runs on each colour's port, and the switch sends traffic to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    /// The slot on `ports.blue`.
    Blue,
    /// The slot on `ports.green`.
    Green,
}

impl Colour {
    /// The other slot: the one a deployment starts on while this one serves.
    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }

    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }
}

/// How a site's releases run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// A child process of the deploy worker.
    Process,
    /// A systemd unit per colour.
    Systemd,
    /// A Docker container per colour.
    Docker,
}

impl Runtime {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Systemd => "systemd",
            Self::Docker => "docker",
        }
    }
}

/// The port of each colour on the site's host (1024-65535, distinct).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// Where the blue release listens.
    pub blue: u16,
    /// Where the green release listens.
    pub green: u16,
}

impl Ports {
    /// The port of `colour`.
    pub fn of(self, colour: Colour) -> u16 {
        match colour {
            Colour::Blue => self.blue,
            Colour::Green => self.green,
        }
    }
}
