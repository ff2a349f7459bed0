//! Reads of the `users` and `api_tokens` read models that commands wait on: a change answers only once the read
//! model shows it, so the client's next request (on any process, whose caches the change announcement empties)
//! already sees it. A revoked token is refused from the very next request, a demoted user has the new role.

use sqlx::AnyPool;
use uuid::Uuid;

/// Waits until the read model shows token `token_id` revoked (or no such active token).
pub async fn wait_revoked(pool: &AnyPool, token_id: Uuid) -> bool {
    crate::projections::settle(|| async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM api_tokens WHERE token_id = $1 AND revoked_at IS NULL")
            .bind(token_id.to_string())
            .fetch_one(pool)
            .await
            .is_ok_and(|n| n == 0)
    })
    .await
}

/// Waits until the read model shows user `name` with `role`.
pub async fn wait_role(pool: &AnyPool, name: &str, role: &str) -> bool {
    crate::projections::settle(|| async {
        sqlx::query_scalar::<_, String>("SELECT role FROM users WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(pool)
            .await
            .is_ok_and(|found| found.as_deref() == Some(role))
    })
    .await
}
