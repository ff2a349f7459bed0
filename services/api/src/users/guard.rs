//! A named lock in the database (`command_locks`), for a rule that reads more than the stream it appends to.
//!
//! "The last administrator keeps the role" reads every user and appends to one: two administrators demoting each
//! other at once would each see the other still an administrator, and both appends would pass (they touch
//! different streams). Holding `roles` from the count until the read model shows the change makes the second
//! demotion count after the first. A row rather than an in-process mutex, so that every process serving the
//! panel (blue and green during a release) takes the same lock; the row expires, so a process that died holding
//! it blocks nobody for long.

use std::time::Duration;

use sqlx::AnyPool;

/// How long a holder may keep the lock before another may take it over (a crashed holder).
const LEASE_MILLIS: i64 = 30_000;
/// How often a waiter tries again.
const POLL: Duration = Duration::from_millis(20);

/// A held lock; [`Guard::release`] gives it back (an unreleased one expires after its lease).
#[derive(Debug)]
pub struct Guard {
    pool: AnyPool,
    name: String,
    owner: String,
}

impl Guard {
    /// Takes the lock `name`, waiting up to `wait` for its holder; `None` when it stayed taken.
    pub async fn acquire(pool: &AnyPool, name: &str, wait: Duration) -> Result<Option<Guard>, sqlx::Error> {
        let owner = uuid::Uuid::new_v4().to_string();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let taken = sqlx::query(
                "INSERT INTO command_locks (name, owner, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
                 WHERE command_locks.expires_at < $4",
            )
            .bind(name.to_owned())
            .bind(owner.clone())
            .bind(now + LEASE_MILLIS)
            .bind(now)
            .execute(pool)
            .await?;
            if taken.rows_affected() == 1 {
                return Ok(Some(Guard { pool: pool.clone(), name: name.to_owned(), owner }));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Gives the lock back (only if it is still ours: a lease that ran out may have passed to another).
    pub async fn release(self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM command_locks WHERE name = $1 AND owner = $2")
            .bind(self.name)
            .bind(self.owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
