//! The list of the panel's projections (each capability's `projection.rs`), fed by the runner in `lawha-store`,
//! and the wait a page makes for its read model after a change.

use std::sync::Arc;

use lawha_store::Projection;

/// Every projection of the panel, in one list: the runner, `lawha projections rebuild` and the metrics all
/// read it.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(crate::audit::projection::AuditLog),
        Arc::new(crate::users::projection::Users),
        Arc::new(crate::jobs::projection::Jobs),
        Arc::new(crate::backups::projection::Backups),
        Arc::new(crate::deployments::projection::Deployments),
        Arc::new(crate::hosts::projection::Hosts),
        Arc::new(crate::certificates::projection::Certificates),
    ]
}

/// Drops what the caches of read models hold when their read model changes, in this process or another one on
/// the same database (`lawha_store::ReadModelChanges`), until `stop` is cancelled: a revoked token or a demoted
/// user is refused at the next request, not after the cache's lifetime.
pub async fn follow_changes(changes: lawha_store::ReadModelChanges, stop: tokio_util::sync::CancellationToken) {
    let mut names = changes.subscribe();
    loop {
        let name = tokio::select! {
            () = stop.cancelled() => return,
            received = names.recv() => match received {
                Ok(name) => name,
                // Announcements were missed: everything may have changed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => lawha_store::ALL_READ_MODELS.to_owned(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
        };
        let all = name == lawha_store::ALL_READ_MODELS;
        if all || name == "users" {
            crate::users::token_cache::invalidate();
        }
        if all || name == "audit_log" {
            crate::audit::projection::invalidate();
        }
    }
}

/// Waits up to a second for `check` to hold: after a change, a page that redirects waits for its read model to
/// show the change, so the next page is consistent. Returns whether it held (when not, the page is merely stale).
/// It looks again after 2, 4, 8 and 16 ms, then every 25 ms: the projection usually follows within milliseconds,
/// and an answer that waits for it (a webhook's) should not wait a whole interval.
pub async fn settle<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    let mut pause = std::time::Duration::from_millis(2);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(25));
    }
}
