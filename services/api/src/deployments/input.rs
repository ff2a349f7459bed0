//! A site as the JSON API takes it (`POST /api/v1/sites`, `PUT /api/v1/sites/{id}`), turned into the domain's
//! [`SiteSpec`]: the deploy key and the environment's values are sealed into the secrets table and only their
//! references enter the events; every problem is reported under its field, with nothing recorded.

use std::collections::BTreeMap;

use lawha_domain::{
    Message,
    deployments::{
        DEFAULT_RELEASES_TO_KEEP, EnvVars, Ports, Runtime, SecretRef, SiteSpec, messages::env_values_missing,
    },
};
use lawha_store::{Database, SealKey, secrets};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{DeployError, messages, read};

/// How a site's releases run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeName {
    /// A detached process group per colour, with its output in a log file.
    Process,
    /// A transient unit of the deploy worker user's systemd per colour.
    Systemd,
    /// A container per colour, from the repository's Dockerfile.
    Docker,
}

impl RuntimeName {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Systemd => "systemd",
            Self::Docker => "docker",
        }
    }
}

/// The two ports the colours listen on.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortsInput {
    /// The blue colour's port.
    #[schema(minimum = 1024, maximum = 65535)]
    pub blue: u16,
    /// The green colour's port (not the blue one's).
    #[schema(minimum = 1024, maximum = 65535)]
    pub green: u16,
}

/// A site: where its code is, how it is built, started and checked, and where it listens.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// A unique name: a letter or digit, then letters, digits, `-`, `_`, `.`.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    /// `https://…`, `git@host:path`, `ssh://…` or `file:///…`, without credentials.
    #[schema(min_length = 1, max_length = 2048)]
    pub repository: String,
    /// The branch deployed on push.
    #[schema(min_length = 1, max_length = 255)]
    pub branch: String,
    /// How releases run.
    pub runtime: RuntimeName,
    /// Run in a fresh release folder before starting (absent: nothing to build).
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub build_command: Option<String>,
    /// Starts the app in the foreground; must use `$PORT`.
    #[schema(min_length = 1, max_length = 4096)]
    pub start_command: String,
    /// The path that must answer 200 before traffic switches (`/health`).
    #[schema(min_length = 1, max_length = 1024, pattern = "^/")]
    pub health_path: String,
    /// The colours' ports.
    pub ports: PortsInput,
    /// The domains nginx serves the site under.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Environment variables by name. Values are sealed and never shown again; on `PUT`, `null` keeps a
    /// variable's current value.
    #[serde(default)]
    pub env: BTreeMap<String, Option<String>>,
    /// An SSH private key for an ssh repository, sealed and never shown again. On `PUT`, absent keeps the key
    /// and `""` removes it.
    #[serde(default)]
    #[schema(max_length = 16384)]
    pub deploy_key: Option<String>,
    /// How many releases to keep on disk (1-50; default 5); the live one is never removed.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub releases_to_keep: Option<u32>,
    /// The host whose deploy worker runs the site (`GET /api/v1/hosts`): one whose worker registered, or the
    /// panel's own machine (`deployments.host`, `local` by default), which is the default.
    #[serde(default)]
    #[schema(max_length = 63)]
    pub host: Option<String>,
}

/// The API's name for a field of the domain's spec.
pub fn api_field(field: &str) -> &str {
    match field {
        "deploy_key_secret" => "deploy_key",
        "env.names" | "env.values_secret" => "env",
        other => other,
    }
}

/// The secrets a spec was given by one request (forgotten again when the command is refused).
#[derive(Debug, Default)]
pub struct Kept(pub Vec<String>);

impl Kept {
    /// Forgets them (best effort: an orphan row names nothing).
    pub async fn forget(self, db: &Database) {
        secrets::forget_each(&db.read_models, self.0).await;
    }
}

async fn keep(
    db: &Database,
    seal: &SealKey,
    purpose: &str,
    plain: &[u8],
    kept: &mut Kept,
) -> Result<SecretRef, DeployError> {
    let reference = secrets::keep(&db.read_models, purpose, &seal.seal(plain)).await?;
    kept.0.push(reference.clone());
    SecretRef::parse(&reference).map_err(|_| DeployError::SecretUnreadable)
}

/// Opens a sealed secret of a site.
pub async fn open(db: &Database, seal: &SealKey, reference: &SecretRef) -> Result<Vec<u8>, DeployError> {
    let sealed = secrets::sealed(&db.read_models, reference.as_str()).await?.ok_or(DeployError::SecretUnreadable)?;
    seal.open(&sealed).map_err(|_| DeployError::SecretUnreadable)
}

impl SiteInput {
    /// The spec this input asks for, `current` being the site's spec on an update. Secrets given are sealed
    /// and kept (returned in [`Kept`], to forget if the command is refused); every problem names its field.
    pub async fn into_spec(
        self,
        db: &Database,
        seal: &SealKey,
        own_host: &str,
        site_id: Option<Uuid>,
        current: Option<&SiteSpec>,
    ) -> Result<(SiteSpec, Kept), DeployError> {
        let mut problems: Vec<(String, Message)> = Vec::new();
        if read::name_taken(&db.read_models, &self.name, site_id).await? {
            problems.push(("name".into(), messages::name_taken(&self.name)));
        }
        let host = self.host.clone().unwrap_or_else(|| own_host.to_owned());
        if lawha_domain::hosts::is_host_name(&host) {
            let known = crate::hosts::read::list(&db.read_models, own_host).await?;
            match known.iter().find(|h| h.name == host) {
                None => {
                    let names: Vec<&str> = known.iter().map(|h| h.name.as_str()).collect();
                    problems.push(("host".into(), messages::host_unknown(&host, names.join(", "))));
                }
                Some(found) if !found.offers(self.runtime.as_str()) => {
                    let offered = found.runtimes.join(", ");
                    problems
                        .push(("runtime".into(), messages::runtime_not_offered(self.runtime.as_str(), &host, offered)));
                }
                Some(_) => {}
            }
        }
        let mut kept = Kept::default();
        let deploy_key_secret = match (self.deploy_key.as_deref(), current) {
            (None, Some(current)) => current.deploy_key_secret.clone(),
            (None | Some(""), _) => None,
            (Some(key), _) => Some(keep(db, seal, "site_deploy_key", key.as_bytes(), &mut kept).await?),
        };
        let env = match self.env_vars(db, seal, current, &mut kept).await {
            Ok(env) => env,
            Err(e) => {
                kept.forget(db).await;
                return Err(e);
            }
        };
        let runtime = match self.runtime {
            RuntimeName::Process => Runtime::Process,
            RuntimeName::Systemd => Runtime::Systemd,
            RuntimeName::Docker => Runtime::Docker,
        };
        let spec = SiteSpec {
            name: self.name,
            repository: self.repository,
            branch: self.branch,
            deploy_key_secret,
            build_command: self.build_command.filter(|c| !c.trim().is_empty()),
            start_command: self.start_command,
            runtime,
            health_path: self.health_path,
            env,
            ports: Ports { blue: self.ports.blue, green: self.ports.green },
            domains: self.domains,
            releases_to_keep: self.releases_to_keep.unwrap_or(DEFAULT_RELEASES_TO_KEEP),
            host,
        };
        for (field, problem) in spec.problems() {
            let field = api_field(field);
            if !problems.iter().any(|(f, _)| f == field) {
                problems.push((field.to_owned(), problem));
            }
        }
        if problems.is_empty() {
            Ok((spec, kept))
        } else {
            kept.forget(db).await;
            Err(DeployError::Invalid(problems))
        }
    }

    /// The environment: names in the given order, all values sealed as one JSON object; a `null` value takes
    /// the current one.
    async fn env_vars(
        &self,
        db: &Database,
        seal: &SealKey,
        current: Option<&SiteSpec>,
        kept: &mut Kept,
    ) -> Result<EnvVars, DeployError> {
        if self.env.is_empty() {
            return Ok(EnvVars::default());
        }
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        if self.env.values().any(Option::is_none)
            && let Some(reference) = current.and_then(|c| c.env.values_secret.as_ref())
        {
            let plain = open(db, seal, reference).await?;
            values = serde_json::from_slice(&plain).map_err(|_| DeployError::SecretUnreadable)?;
        }
        let mut given = BTreeMap::new();
        for (name, value) in &self.env {
            let value = match value.as_ref().or_else(|| values.get(name)) {
                Some(v) => v.clone(),
                // `null` keeps a value, and this variable has none yet.
                None => return Err(DeployError::Invalid(vec![("env".into(), env_values_missing())])),
            };
            given.insert(name.clone(), value);
        }
        let plain = serde_json::to_vec(&given).unwrap_or_default();
        let values_secret = Some(keep(db, seal, "site_env", &plain, kept).await?);
        Ok(EnvVars { names: self.env.keys().cloned().collect(), values_secret })
    }
}
