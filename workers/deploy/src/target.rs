//! The site a deployment deploys, as the handler needs it: its spec as the log says now, and its secrets opened
//! (the deploy key's PEM text, the environment's values in the order the spec names them). A deleted site and a
//! forgotten or unopenable secret are the deployment's failure, with a message that says which; the database's
//! failures are the job's, retried.

use lawha_domain::deployments::{SecretRef, Site, SiteSpec};
use lawha_jobs::runtime::JobError;
use serde_json::Value;
use uuid::Uuid;

use crate::{Deps, messages, record, steps::StepError};

/// A site ready to deploy.
#[derive(Clone)]
pub struct Target {
    /// The site's id.
    pub site_id: Uuid,
    /// What it says.
    pub spec: SiteSpec,
    /// Its environment, names and values (secret: never shown).
    pub env: Vec<(String, String)>,
    /// The deploy key's PEM text (secret: never shown).
    pub deploy_key: Option<String>,
}

/// Only what is not secret.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("site_id", &self.site_id).field("name", &self.spec.name).finish_non_exhaustive()
    }
}

/// The site `site_id` with its secrets opened.
pub async fn load(deps: &Deps, site_id: Uuid) -> Result<Target, StepError> {
    let (site, _) = record::read::<Site>(&deps.db, site_id).await?;
    let spec = match site.spec {
        Some(_) if site.deleted => return Err(StepError::failed(messages::site_deleted(site_id.to_string()))),
        Some(spec) => spec,
        None => return Err(StepError::failed(messages::site_missing(site_id.to_string()))),
    };
    let deploy_key = match &spec.deploy_key_secret {
        Some(reference) => Some(open(deps, reference, "deploy_key").await?),
        None => None,
    };
    let env = match &spec.env.values_secret {
        Some(reference) => env(&spec.env.names, &open(deps, reference, "env_values").await?)?,
        None => Vec::new(),
    };
    Ok(Target { site_id, spec, env, deploy_key })
}

/// Opens the secret behind `reference`; `what` names it in a failure.
async fn open(deps: &Deps, reference: &SecretRef, what: &str) -> Result<String, StepError> {
    let sealed = match lawha_store::secrets::sealed(&deps.db.read_models, reference.as_str()).await {
        Ok(Some(sealed)) => sealed,
        Ok(None) => return Err(StepError::failed(messages::secret_forgotten(what))),
        Err(e) => return Err(JobError::Retryable(messages::query_failed("secrets", e.to_string())).into()),
    };
    let bytes =
        deps.seal.open(&sealed).map_err(|e| StepError::failed(messages::secret_unopenable(what, e.to_string())))?;
    String::from_utf8(bytes).map_err(|_| StepError::failed(messages::secret_not_text(what)))
}

/// The variables `names` from the sealed JSON object `{NAME: value}`, in the spec's order.
fn env(names: &[String], plain: &str) -> Result<Vec<(String, String)>, StepError> {
    // The decoder's words never quote the input, which holds the values.
    let values: serde_json::Map<String, Value> =
        serde_json::from_str(plain).map_err(|e| StepError::failed(messages::env_values_invalid(e.classify_name())))?;
    names
        .iter()
        .map(|name| match values.get(name) {
            Some(Value::String(value)) => Ok((name.clone(), value.clone())),
            Some(_) => Err(StepError::failed(messages::env_values_invalid(format!("{name} is not a text")))),
            None => Err(StepError::failed(messages::env_value_missing(name))),
        })
        .collect()
}

/// What was wrong with a JSON text, without quoting it (it holds the secret values).
trait Classify {
    /// The error's kind and position.
    fn classify_name(&self) -> String;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> String {
        let kind = match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "not an object",
            serde_json::error::Category::Eof => "cut short",
        };
        format!("{kind} (line {}, column {})", self.line(), self.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_follows_the_specs_names_and_never_quotes_its_values() {
        let names = ["B".to_owned(), "A".to_owned()];
        let env = env(&names, r#"{"A": "1", "B": "two", "C": "unused"}"#).unwrap();
        assert_eq!(env, [("B".to_owned(), "two".to_owned()), ("A".to_owned(), "1".to_owned())]);
        let StepError::Failed { reason, .. } = env_err(&names, r#"{"A": "1"}"#) else { panic!() };
        assert_eq!(reason, messages::env_value_missing("B"));
        let StepError::Failed { reason, .. } = env_err(&names, "{\"A\": \"hunter2") else { panic!() };
        assert!(!reason.to_string().contains("hunter2"), "{reason}");
    }

    fn env_err(names: &[String], plain: &str) -> StepError {
        env(names, plain).expect_err("refused")
    }
}
