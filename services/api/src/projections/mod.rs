//! The read models the API serves, each a [`Projection`] fed by the runner in `lawha-store`.

pub mod audit_log;

use std::sync::Arc;

use lawha_store::Projection;

/// Every projection of the panel, in one list: the runner, `lawha projections rebuild` and the metrics all
/// read it.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![Arc::new(audit_log::AuditLog), Arc::new(crate::users::projection::Users)]
}
