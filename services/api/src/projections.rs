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
    ]
}

/// Waits up to a second for `check` to hold: after a change, a page that redirects waits for its read model to
/// show the change, so the next page is consistent. Returns whether it held (when not, the page is merely stale).
pub async fn settle<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..40 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    false
}
