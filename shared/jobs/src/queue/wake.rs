//! Waking workers when messages are pushed, on Redis: the dispatcher publishes on a channel of the queue after
//! each push, and every worker process serving the queue listens on it, so an idle worker fetches at once instead
//! of at its next poll (`jobs.poll_interval_ms`, which still runs, in case a notice is lost: pub/sub is
//! fire-and-forget, and a listener that lost its connection hears nothing until it is back).

use std::{sync::Arc, time::Duration};

use futures::StreamExt as _;
use redis::aio::ConnectionManager;
use tokio::{sync::Notify, task::JoinHandle};

/// The channel pushes to `queue` are announced on (`lawha:diagnostics:pushed`).
pub(crate) fn channel(apalis_name: &str) -> String {
    format!("{apalis_name}:pushed")
}

/// Announces `count` new messages; a failure only costs the workers a poll interval, so it is logged, not raised.
pub(crate) async fn announce(conn: &ConnectionManager, channel: &str, count: usize) {
    let mut conn = conn.clone();
    if let Err(error) = redis::cmd("PUBLISH").arg(channel).arg(count).query_async::<i64>(&mut conn).await {
        tracing::debug!(%error, channel, "could not announce pushed messages");
    }
}

/// Listens on `channel` until the handle is aborted, reconnecting after a pause when the connection drops; every
/// notice (and every reconnection, since notices were missed meanwhile) stores a wake-up in the returned `Notify`.
pub(crate) fn listen(client: redis::Client, channel: String) -> (Arc<Notify>, JoinHandle<()>) {
    let notify = Arc::new(Notify::new());
    let wake = Arc::clone(&notify);
    let task = tokio::spawn(async move {
        loop {
            match client.get_async_pubsub().await {
                Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                    Ok(()) => {
                        wake.notify_one();
                        let mut notices = pubsub.into_on_message();
                        while notices.next().await.is_some() {
                            wake.notify_one();
                        }
                    }
                    Err(error) => tracing::debug!(%error, %channel, "could not subscribe to push notices"),
                },
                Err(error) => tracing::debug!(%error, %channel, "could not connect for push notices"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (notify, task)
}
