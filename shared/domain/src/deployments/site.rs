//! The site aggregate: created, changed, deleted, its webhook secret rotated. Deployments refer to a site by id
//! and read the spec it had when they started.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{SecretRef, SiteSpec, messages};
use crate::aggregate::{Aggregate, DomainEvent};
use crate::message::Message;

/// What happened to a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SiteEvent {
    /// A site was created.
    SiteCreated {
        /// Its id (also the stream's).
        site_id: Uuid,
        /// What it says.
        spec: SiteSpec,
        /// The secret GitHub signs its deliveries with, as a reference.
        webhook_secret: SecretRef,
    },
    /// A site was changed; the spec replaces the previous one.
    SiteUpdated {
        /// What it says now.
        spec: SiteSpec,
    },
    /// A site was deleted. Its releases stay where they are until the worker removes them; its deployments stay
    /// in the log.
    SiteDeleted {},
    /// The webhook secret was replaced: deliveries signed with the previous one are refused from now on.
    WebhookSecretRotated {
        /// The new secret, as a reference.
        webhook_secret: SecretRef,
    },
}

/// Every site fact is at schema 1 (the default).
impl DomainEvent for SiteEvent {}

/// What a caller asks of a site.
#[derive(Debug, Clone)]
pub enum SiteCommand {
    /// Create the site (the API sealed its secrets and checked what needs the machine).
    Create {
        /// The new site's id.
        site_id: Uuid,
        /// Its spec.
        spec: SiteSpec,
        /// Its webhook secret, sealed and kept by the API.
        webhook_secret: SecretRef,
    },
    /// Replace the spec.
    Update {
        /// The new spec.
        spec: SiteSpec,
    },
    /// Delete the site.
    Delete,
    /// Replace the webhook secret.
    RotateWebhookSecret {
        /// The new secret, sealed and kept by the API.
        webhook_secret: SecretRef,
    },
}

/// Why a site command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteRejection {
    /// Create on an existing site.
    #[error("the site already exists")]
    AlreadyExists,
    /// Anything but Create on a site that was never created.
    #[error("no such site")]
    NotFound,
    /// Anything on a deleted site.
    #[error("the site was deleted")]
    Deleted,
    /// The spec breaks a rule; every problem with its field.
    #[error("the site is invalid: {}", super::site_invalid(.0))]
    Invalid(Vec<(&'static str, Message)>),
}

impl SiteRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::site_exists(),
            Self::NotFound => messages::site_not_found(),
            Self::Deleted => messages::site_deleted(),
            Self::Invalid(problems) => super::site_invalid(problems),
        }
    }

    /// Every problem with its field, for `details.fields` (empty for the other rejections).
    pub fn field_problems(&self) -> &[(&'static str, Message)] {
        match self {
            Self::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

/// A site as its events leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    /// Its id, once created.
    pub id: Option<Uuid>,
    /// Its current spec.
    pub spec: Option<SiteSpec>,
    /// Its current webhook secret.
    pub webhook_secret: Option<SecretRef>,
    /// Whether it was deleted.
    pub deleted: bool,
}

impl Aggregate for Site {
    const CATEGORY: &'static str = "site";
    type Command = SiteCommand;
    type Event = SiteEvent;
    type Rejection = SiteRejection;

    fn apply(mut self, event: &SiteEvent) -> Self {
        match event {
            SiteEvent::SiteCreated { site_id, spec, webhook_secret } => {
                self.id = Some(*site_id);
                self.spec = Some(spec.clone());
                self.webhook_secret = Some(webhook_secret.clone());
            }
            SiteEvent::SiteUpdated { spec } => self.spec = Some(spec.clone()),
            SiteEvent::SiteDeleted {} => self.deleted = true,
            SiteEvent::WebhookSecretRotated { webhook_secret } => self.webhook_secret = Some(webhook_secret.clone()),
        }
        self
    }

    fn decide(&self, command: &SiteCommand, _now: DateTime<Utc>) -> Result<Vec<SiteEvent>, SiteRejection> {
        let check = |spec: &SiteSpec| {
            let problems = spec.problems();
            if problems.is_empty() { Ok(()) } else { Err(SiteRejection::Invalid(problems)) }
        };
        match command {
            SiteCommand::Create { site_id, spec, webhook_secret } => {
                if self.id.is_some() {
                    return Err(SiteRejection::AlreadyExists);
                }
                check(spec)?;
                Ok(vec![SiteEvent::SiteCreated {
                    site_id: *site_id,
                    spec: spec.clone(),
                    webhook_secret: webhook_secret.clone(),
                }])
            }
            _ if self.id.is_none() => Err(SiteRejection::NotFound),
            _ if self.deleted => Err(SiteRejection::Deleted),
            SiteCommand::Update { spec } => {
                check(spec)?;
                if self.spec.as_ref() == Some(spec) {
                    return Ok(Vec::new());
                }
                Ok(vec![SiteEvent::SiteUpdated { spec: spec.clone() }])
            }
            SiteCommand::Delete => Ok(vec![SiteEvent::SiteDeleted {}]),
            // The same reference again is a retried rotation, already recorded.
            SiteCommand::RotateWebhookSecret { webhook_secret }
                if self.webhook_secret.as_ref() == Some(webhook_secret) =>
            {
                Ok(Vec::new())
            }
            SiteCommand::RotateWebhookSecret { webhook_secret } => {
                Ok(vec![SiteEvent::WebhookSecretRotated { webhook_secret: webhook_secret.clone() }])
            }
        }
    }
}
