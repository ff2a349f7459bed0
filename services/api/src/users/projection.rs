//! `users` and `api_tokens`: the read models sign-in, authentication and the users page read.

use async_trait::async_trait;
use lawha_domain::{DomainEvent as _, RecordedEvent, users::UserEvent};
use lawha_store::{EventFilter, Projection};
use sqlx::AnyConnection;
use uuid::Uuid;

/// The users projection.
#[derive(Debug, Clone, Copy)]
pub struct Users;

#[async_trait]
impl Projection for Users {
    fn name(&self) -> &'static str {
        "users"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users", "api_tokens"]
    }

    fn filter(&self) -> EventFilter {
        EventFilter::categories(["user"])
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        let Ok(typed) = UserEvent::from_recorded(event) else {
            // A user-stream event this build does not know (a newer release wrote it): nothing to show.
            return Ok(());
        };
        let at = event.recorded_at.timestamp_micros();
        match typed {
            UserEvent::UserCreated { user_id, name, role } => {
                sqlx::query(
                    "INSERT INTO users (user_id, name, role, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO NOTHING",
                )
                .bind(user_id.to_string())
                .bind(name.as_str().to_owned())
                .bind(role.to_string())
                .bind(at)
                .execute(tx)
                .await?;
            }
            UserEvent::ApiTokenCreated { user_id, token_id, name, scopes } => {
                let scopes: Vec<String> = scopes.iter().map(ToString::to_string).collect();
                sqlx::query(
                    "INSERT INTO api_tokens (token_id, user_id, name, scopes, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (token_id) DO NOTHING",
                )
                .bind(token_id.to_string())
                .bind(user_id.to_string())
                .bind(name)
                .bind(scopes.join(","))
                .bind(at)
                .execute(tx)
                .await?;
            }
            UserEvent::ApiTokenRevoked { token_id, .. } => {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE token_id = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(token_id.to_string())
                    .execute(tx)
                    .await?;
            }
            UserEvent::RoleChanged { user_id, role } => {
                sqlx::query("UPDATE users SET role = $1 WHERE user_id = $2")
                    .bind(role.to_string())
                    .bind(user_id.to_string())
                    .execute(tx)
                    .await?;
            }
            UserEvent::TwoFactorEnabled { user_id, recovery_codes } => {
                set_two_factor(tx, user_id, 1, recovery_codes).await?;
            }
            UserEvent::TwoFactorDisabled { user_id } => set_two_factor(tx, user_id, 0, 0).await?,
            UserEvent::RecoveryCodeUsed { user_id, remaining } => {
                sqlx::query("UPDATE users SET recovery_codes_left = $1 WHERE user_id = $2")
                    .bind(i64::from(remaining))
                    .bind(user_id.to_string())
                    .execute(tx)
                    .await?;
            }
            UserEvent::PasswordChanged { .. } => {}
        }
        Ok(())
    }
}

async fn set_two_factor(tx: &mut AnyConnection, user_id: Uuid, on: i64, codes: u32) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET two_factor = $1, recovery_codes_left = $2 WHERE user_id = $3")
        .bind(on)
        .bind(i64::from(codes))
        .bind(user_id.to_string())
        .execute(tx)
        .await?;
    Ok(())
}
