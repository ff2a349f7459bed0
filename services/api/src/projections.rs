//! The list of the panel's projections (each capability's `projection.rs`), fed by the runner in `lawha-store`,
//! and the wait a page makes for its read model after a change.

use std::sync::Arc;

use lawha_domain::Message;
use lawha_store::Projection;
use serde_json::Value;

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

/// A message as a read model keeps it in a text column: its JSON (`{"code", "args"}`), rendered in the reader's
/// language only when it is shown.
pub fn stored(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

/// A message a read model kept: the JSON [`stored`] wrote, or, in a row projected before messages were codes,
/// the text itself (shown as it is).
pub fn message_from(text: &str) -> Message {
    serde_json::from_str(text).unwrap_or_else(|_| Message::text(text))
}

/// A message inside a JSON value a read model kept (an object with `code`), or plain text as it is.
pub fn message_from_value(value: &Value) -> Option<Message> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Message::text(text.clone())),
        other => serde_json::from_value(other.clone()).ok(),
    }
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
