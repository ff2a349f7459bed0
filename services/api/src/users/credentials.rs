//! Password and token hashes, kept beside the log and never in it (invariant 8).

use argon2::{
    Argon2,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};
use lawha_domain::Message;
use sha2::{Digest as _, Sha256};
use sqlx::AnyPool;

use super::messages;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters (argon2 hashes anything, but a megabyte "password" is an
/// attack); at most 1 KiB of UTF-8.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password's length; the message says what is expected.
pub fn check_password(password: &str) -> Result<(), Message> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(messages::password_too_short(MIN_PASSWORD_CHARS));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(messages::password_too_long(MAX_PASSWORD_CHARS));
    }
    Ok(())
}

/// An argon2id PHC string with a random salt and the crate's default (OWASP-recommended) cost.
pub fn hash_password(password: &str) -> Result<String, Message> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| messages::credential_failed(e.to_string()))
}

/// Whether `password` matches a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hex SHA-256 of a token's secret part: tokens carry 256 random bits, so a fast hash is enough.
pub fn hash_token_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Stores (or replaces) a credential.
pub async fn store(pool: &AnyPool, subject: &str, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO credentials (subject, hash, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (subject) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
    )
    .bind(subject.to_owned())
    .bind(hash.to_owned())
    .bind(chrono::Utc::now().timestamp_micros())
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes a credential; true when there was one.
pub async fn delete(pool: &AnyPool, subject: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM credentials WHERE subject = $1").bind(subject.to_owned()).execute(pool).await?;
    Ok(done.rows_affected() > 0)
}

/// Reads a credential.
pub async fn load(pool: &AnyPool, subject: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT hash FROM credentials WHERE subject = $1")
        .bind(subject.to_owned())
        .fetch_optional(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(check_password("short"), Err(messages::password_too_short(12)));
        assert!(check_password(&"x".repeat(2000)).is_err());
        assert!(check_password("twelve chars").is_ok());
    }

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
