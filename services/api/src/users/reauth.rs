//! The current password, asked again before a change of account security (a new password, two-factor off).
//! It is checked on the bounded blocking pool and throttled per account like a sign-in (counted before the
//! check, free attempts, then growing waits), so a stolen session cannot be used to guess the password at speed.

use chrono::Utc;
use lawha_store::Database;
use uuid::Uuid;

use super::{
    UserError, credentials,
    hashing::PasswordWork,
    throttle::{self, Subject},
};

/// Checks `password` against the stored password of `user` (whose id is `user_id`): `WrongPassword` when it
/// differs, `Throttled` while too many wrong ones wait out their time, `Busy` when the pool is full.
pub async fn check_current_password(
    db: &Database,
    work: &PasswordWork,
    user: &str,
    user_id: Uuid,
    password: &str,
) -> Result<(), UserError> {
    let now = Utc::now().timestamp();
    let subject = Subject { key: format!("password-check:{user}"), free: throttle::ACCOUNT_FREE };
    let admission = match throttle::admit(&db.read_models, &[subject], now).await? {
        Ok(admission) => admission,
        Err(waiting) => return Err(UserError::Throttled { retry_after_secs: waiting.until - now }),
    };
    let stored = credentials::load(&db.read_models, &format!("password:{user_id}")).await?.unwrap_or_default();
    let ok = match work.verify(password, &stored).await {
        Ok(ok) => ok,
        Err(busy) => {
            admission.undo(&db.read_models).await?;
            return Err(busy.into());
        }
    };
    if !ok {
        return Err(UserError::WrongPassword);
    }
    admission.succeeded(&db.read_models).await?;
    Ok(())
}
