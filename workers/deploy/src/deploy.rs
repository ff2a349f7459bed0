//! `Deploy`: one deployment of a site, from its due step to its end. The handler reads the deployment, waits
//! until no earlier deployment of the site is active and takes the site's lock, reads the deployment again (the
//! wait may have been long), and hands it to an [`Attempt`]. Every line of progress goes to the job's log: the
//! engine writes into a channel whose lines a task forwards, in order, to [`JobContext::log`].

use async_trait::async_trait;
use lawha_domain::{Message, deployments::Deployment};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use serde_json::{Value, json};
use tokio::{
    sync::mpsc::{UnboundedSender, unbounded_channel},
    task::JoinHandle,
};
use uuid::Uuid;

use crate::{
    Deps, lock, messages, record,
    steps::Attempt,
    wait::{self, Waiting},
};

/// The `Deploy` handler.
#[derive(Debug, Clone)]
pub struct Deploy(pub Deps);

/// The deployment the job's payload names.
fn deployment_id(ctx: &JobContext) -> Result<Uuid, JobError> {
    ctx.job.payload["deployment_id"]
        .as_str()
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| JobError::Permanent(messages::payload_missing("deployment_id")))
}

/// A channel for the deployment's log, and the task that writes its lines into the job's log until every sender
/// is dropped.
fn forward(ctx: &JobContext) -> (UnboundedSender<Message>, JoinHandle<()>) {
    let (tx, mut rx) = unbounded_channel::<Message>();
    let ctx = ctx.clone();
    let task = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            ctx.log(line).await;
        }
    });
    (tx, task)
}

#[async_trait]
impl Handler for Deploy {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let id = deployment_id(ctx)?;
        let (log, forwarder) = forward(ctx);
        let outcome = self.deploy(ctx, &log, id).await;
        // Every line is in the job's log before the job's outcome is recorded.
        drop(log);
        let _ = forwarder.await;
        outcome
    }
}

impl Deploy {
    async fn deploy(&self, ctx: &JobContext, log: &UnboundedSender<Message>, id: Uuid) -> Result<Value, JobError> {
        let deps = &self.0;
        let (deployment, history) = record::read::<Deployment>(&deps.db, id).await?;
        let (Some(site_id), Some((host, requested_at))) = (deployment.site_id(), record::request(&history)) else {
            return Err(JobError::Permanent(messages::deployment_missing(id)));
        };
        if let Some(ended) = ended(&deployment, id, log) {
            return Ok(ended);
        }
        let waiting =
            Waiting { deployment_id: id, site_id, host: &host, requested_at: requested_at.timestamp_micros() };
        wait::for_earlier(&deps.db.read_models, waiting, log).await?;
        let lock = lock::acquire(&deps.db, site_id).await.map_err(JobError::Retryable)?;
        let outcome = async {
            let (deployment, _) = record::read::<Deployment>(&deps.db, id).await?;
            if let Some(ended) = ended(&deployment, id, log) {
                return Ok(ended);
            }
            Attempt::new(deps, ctx, log, (id, site_id), deployment, requested_at).run().await
        }
        .await;
        lock.release().await;
        outcome
    }
}

/// The job's result when the deployment has ended already (a redelivered job): nothing is done again.
fn ended(deployment: &Deployment, id: Uuid, log: &UnboundedSender<Message>) -> Option<Value> {
    let status = deployment.status;
    status.is_terminal().then(|| {
        let _ = log.send(messages::already_ended(status.as_str()));
        json!({ "deployment_id": id, "outcome": "already", "status": status.as_str() })
    })
}
