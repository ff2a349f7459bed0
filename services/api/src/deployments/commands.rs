//! The deployments commands: sites (create, change, delete, rotate the webhook secret, with their input checked
//! and their secrets sealed) and deployments asked for by hand or by rollback. Each loads its stream, decides with
//! the domain's rules and appends at the version read; the work itself is the deploy worker's, reached through
//! the dispatcher (invariant 2). Pushes are the webhook's (`webhook.rs`).

use lawha_domain::{
    Aggregate, Metadata,
    deployments::{Deployment, DeploymentCommand, SecretRef, Site, SiteCommand, SiteSpec, Trigger},
};
use lawha_store::{Database, SealKey};
use uuid::Uuid;

use super::{DeployError, SiteInput, read};

/// The key that seals deploy keys, environment values and webhook secrets.
pub fn seal_key(secret: &[u8]) -> SealKey {
    SealKey::derive(secret, lawha_domain::deployments::SEAL_PURPOSE)
}

/// A site's stream as it is now.
async fn load_site(db: &Database, site_id: Uuid) -> Result<Site, DeployError> {
    Ok(lawha_store::load::<Site>(db.events.as_ref(), &Site::stream(site_id)).await?.state)
}

/// The live spec of a site, or 404.
pub async fn live_site(db: &Database, site_id: Uuid) -> Result<(Site, SiteSpec), DeployError> {
    let site = load_site(db, site_id).await?;
    match site.spec.clone().filter(|_| !site.deleted) {
        Some(spec) => Ok((site, spec)),
        None => Err(DeployError::site_missing(&site_id)),
    }
}

/// Decides `command` on the stream of aggregate `id` and appends the facts.
pub async fn decide_and_append<A: Aggregate>(
    db: &Database,
    id: Uuid,
    command: &A::Command,
    metadata: &Metadata,
) -> Result<Vec<Uuid>, DeployError>
where
    DeployError: From<A::Rejection>,
{
    lawha_store::decide_and_append::<A, _>(db.events.as_ref(), id, command, metadata).await
}

/// A new webhook secret: 32 random bytes as hex, sealed and kept; the plain text is shown once.
async fn new_webhook_secret(db: &Database, seal: &SealKey) -> Result<(String, SecretRef), DeployError> {
    let plain = hex::encode(rand::random::<[u8; 32]>());
    let reference = lawha_store::secrets::keep(&db.read_models, "site_webhook", &seal.seal(plain.as_bytes())).await?;
    let reference = SecretRef::parse(&reference).map_err(|_| DeployError::SecretUnreadable)?;
    Ok((plain, reference))
}

/// What creating a site gives back once.
#[derive(Debug)]
pub struct Created {
    /// The site's id.
    pub site_id: Uuid,
    /// Its webhook secret, in clear this once.
    pub webhook_secret: String,
}

/// Creates a site; returns its id and its webhook secret (shown once).
/// `own_host` is the panel's machine (`deployments.host`), the host of a site that names none.
pub async fn create_site(
    db: &Database,
    seal: &SealKey,
    own_host: &str,
    input: SiteInput,
    metadata: &Metadata,
) -> Result<Created, DeployError> {
    let (spec, mut kept) = input.into_spec(db, seal, own_host, None, None).await?;
    let (webhook_secret, reference) = match new_webhook_secret(db, seal).await {
        Ok(pair) => pair,
        Err(e) => {
            kept.forget(db).await;
            return Err(e);
        }
    };
    kept.0.push(reference.to_string());
    let site_id = Uuid::now_v7();
    let command = SiteCommand::Create { site_id, spec, webhook_secret: reference };
    if let Err(e) = decide_and_append::<Site>(db, site_id, &command, metadata).await {
        kept.forget(db).await;
        return Err(e);
    }
    Ok(Created { site_id, webhook_secret })
}

/// The secrets a spec holds.
fn secrets_of(spec: &SiteSpec) -> Vec<String> {
    [spec.deploy_key_secret.as_ref(), spec.env.values_secret.as_ref()]
        .into_iter()
        .flatten()
        .map(ToString::to_string)
        .collect()
}

/// Forgets secrets no event of the site refers to any more (best effort).
async fn forget_all(db: &Database, values: Vec<String>) {
    lawha_store::secrets::forget_each(&db.read_models, values).await;
}

/// Replaces a site's spec; its secrets are kept unless the input replaces them.
pub async fn update_site(
    db: &Database,
    seal: &SealKey,
    own_host: &str,
    site_id: Uuid,
    input: SiteInput,
    metadata: &Metadata,
) -> Result<(), DeployError> {
    let (_, current) = live_site(db, site_id).await?;
    let (spec, kept) = input.into_spec(db, seal, own_host, Some(site_id), Some(&current)).await?;
    let new = secrets_of(&spec);
    if let Err(e) = decide_and_append::<Site>(db, site_id, &SiteCommand::Update { spec }, metadata).await {
        kept.forget(db).await;
        return Err(e);
    }
    forget_all(db, secrets_of(&current).into_iter().filter(|s| !new.contains(s)).collect()).await;
    Ok(())
}

/// Deletes a site: its secrets are forgotten, its deployments stay in the log (and its releases on disk until
/// the worker removes them).
pub async fn delete_site(db: &Database, site_id: Uuid, metadata: &Metadata) -> Result<(), DeployError> {
    let (site, spec) = live_site(db, site_id).await?;
    decide_and_append::<Site>(db, site_id, &SiteCommand::Delete, metadata).await?;
    let mut gone = secrets_of(&spec);
    gone.extend(site.webhook_secret.map(|s| s.to_string()));
    forget_all(db, gone).await;
    Ok(())
}

/// A new webhook secret for a site (the old one stops working at once); returns it in clear, once.
pub async fn rotate_webhook_secret(
    db: &Database,
    seal: &SealKey,
    site_id: Uuid,
    metadata: &Metadata,
) -> Result<String, DeployError> {
    let (site, _) = live_site(db, site_id).await?;
    let (plain, reference) = new_webhook_secret(db, seal).await?;
    let command = SiteCommand::RotateWebhookSecret { webhook_secret: reference.clone() };
    if let Err(e) = decide_and_append::<Site>(db, site_id, &command, metadata).await {
        forget_all(db, vec![reference.to_string()]).await;
        return Err(e);
    }
    forget_all(db, site.webhook_secret.map(|s| s.to_string()).into_iter().collect()).await;
    Ok(plain)
}

/// A deployment asked for: its id and its job's.
#[derive(Debug, Clone, Copy)]
pub struct Requested {
    /// The deployment.
    pub deployment_id: Uuid,
    /// The job that runs it (the request event's id).
    pub job_id: Uuid,
}

/// Asks for a deployment of a site with `trigger` (a commit, or the branch's head when `None`). While another
/// deployment of the site is active, the new one is a follow-up that starts when it has ended.
pub async fn request_deploy(
    db: &Database,
    site_id: Uuid,
    deployment_id: Uuid,
    commit: Option<String>,
    trigger: Trigger,
    metadata: &Metadata,
) -> Result<Requested, DeployError> {
    let (_, spec) = live_site(db, site_id).await?;
    let command = DeploymentCommand::Request { deployment_id, site_id, host: spec.host, commit, trigger };
    let ids = decide_and_append::<Deployment>(db, deployment_id, &command, metadata).await?;
    let job_id = ids.first().copied().unwrap_or(deployment_id);
    Ok(Requested { deployment_id, job_id })
}

/// Asks for a rollback of a site to one of its releases (kept on disk; nothing is fetched or built).
pub async fn request_rollback(
    db: &Database,
    site_id: Uuid,
    release_id: Uuid,
    metadata: &Metadata,
) -> Result<Requested, DeployError> {
    let releases = read::releases(&db.read_models, site_id).await?;
    let release = releases.into_iter().find(|r| r.release_id == release_id.to_string());
    let commit =
        release.and_then(|r| r.commit).ok_or_else(|| DeployError::DeploymentMissing(release_id.to_string()))?;
    let trigger = Trigger::Rollback { release_id };
    request_deploy(db, site_id, Uuid::now_v7(), Some(commit), trigger, metadata).await
}
