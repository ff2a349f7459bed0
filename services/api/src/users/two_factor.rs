//! Two-factor sign-in with TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, one step of clock skew), enrolled with
//! a QR code and confirmed with a code, plus ten single-use recovery codes.
//!
//! The TOTP secret must be read back to check codes, so it is stored sealed (XChaCha20-Poly1305 under a key
//! derived from the secret key); recovery codes are only compared, so only their HMACs are stored. Both are
//! credentials beside the log, never in an event (invariant 8). A code's time step is remembered so that an
//! observed code cannot be replayed (RFC 6238 §5.2): the step moves forward in one conditional write, and a
//! recovery code is spent by a compare-and-set on the list, so two requests racing with one code never both pass.

use hmac::{Hmac, KeyInit as _, Mac as _};
use lawha_domain::{
    Metadata,
    users::{UserCommand, UserRejection},
};
use lawha_store::{Database, SealKey};
use sha2::Sha256;
use totp_rs::{Builder, Totp};
use uuid::Uuid;

use super::{UserError, commands::existing_user, credentials, hashing::PasswordWork, messages, reauth};

/// Recovery codes issued at enrollment.
pub const RECOVERY_CODES: u32 = 10;
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Lawha";
/// Letters of recovery codes: no 0/o, 1/l/i to misread.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The keys two-factor sign-in needs, derived from the configured secret key.
#[derive(Clone, Debug)]
pub struct TwoFactorKeys {
    seal: SealKey,
    recovery: [u8; 32],
}

impl TwoFactorKeys {
    /// Derives both keys.
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256>>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"lawha/recovery-codes/v1");
        Self { seal: SealKey::derive(secret, "totp"), recovery: mac.finalize().into_bytes().into() }
    }

    fn recovery_hash(&self, code: &str) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.recovery).expect("HMAC accepts keys of any length");
        mac.update(normalize(code).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// What the account page shows to enroll: the secret for manual entry, the `otpauth://` URL and its QR code.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrollment {
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://totp/…` URL the QR code encodes.
    pub otpauth_url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code.
    Totp,
    /// A recovery code (now spent).
    RecoveryCode,
}

fn subject(kind: &str, user_id: Uuid) -> String {
    format!("{kind}:{user_id}")
}

fn totp(secret: Vec<u8>, account: &str) -> Result<Totp, UserError> {
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| UserError::Invalid(messages::credential_failed(e.to_string())))
}

/// The stored, sealed secret of `kind` and the TOTP it opens to; `None` when there is none or it does not open.
async fn stored_totp(
    db: &Database,
    keys: &TwoFactorKeys,
    kind: &str,
    user_id: Uuid,
    account: &str,
) -> Option<(String, Totp)> {
    let sealed = credentials::load(&db.read_models, &subject(kind, user_id)).await.ok()??;
    let secret = keys.seal.open(&sealed).ok()?;
    Some((sealed, totp(secret, account).ok()?))
}

/// Starts enrollment: a new secret, kept pending until a code confirms it. Refused when two-factor is on.
pub async fn begin(db: &Database, keys: &TwoFactorKeys, user: &str) -> Result<Enrollment, UserError> {
    let account = existing_user(db, user).await?;
    if account.state.two_factor {
        return Err(UserRejection::TwoFactorAlreadyOn.into());
    }
    let user_id = account.id();
    let secret: [u8; 20] = rand::random();
    let totp = totp(secret.to_vec(), user)?;
    let otpauth_url = totp.to_url().map_err(|e| UserError::Invalid(messages::credential_failed(e.to_string())))?;
    credentials::store(&db.read_models, &subject("totp-pending", user_id), &keys.seal.seal(&secret)).await?;
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| UserError::Invalid(messages::credential_failed(e.to_string())))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrollment { secret: totp.secret().to_base32(), otpauth_url, qr_svg })
}

/// Confirms enrollment with a code from the app: turns two-factor on and returns the recovery codes, shown once.
pub async fn confirm(
    db: &Database,
    keys: &TwoFactorKeys,
    user: &str,
    code: &str,
    metadata: &Metadata,
) -> Result<Vec<String>, UserError> {
    let account = existing_user(db, user).await?;
    if account.state.two_factor {
        return Err(UserRejection::TwoFactorAlreadyOn.into());
    }
    let user_id = account.id();
    let (sealed, pending) = stored_totp(db, keys, "totp-pending", user_id, user)
        .await
        .ok_or_else(|| UserError::Invalid(messages::no_pending_secret()))?;
    let step = pending.check_current(code.trim()).ok_or(UserError::WrongCode)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| keys.recovery_hash(c)).collect();
    credentials::store(&db.read_models, &subject("totp", user_id), &sealed).await?;
    credentials::store(&db.read_models, &subject("totp-step", user_id), &step.to_string()).await?;
    credentials::store(&db.read_models, &subject("recovery", user_id), &hashes.join(",")).await?;
    credentials::delete(&db.read_models, &subject("totp-pending", user_id)).await?;
    account.execute(db, &UserCommand::EnableTwoFactor { recovery_codes: RECOVERY_CODES }, metadata).await?;
    Ok(codes)
}

/// Checks a TOTP code (each time step once) or spends a recovery code. `WrongCode` for anything else.
pub async fn verify(
    db: &Database,
    keys: &TwoFactorKeys,
    user: &str,
    code: &str,
    metadata: &Metadata,
) -> Result<Proof, UserError> {
    let account = existing_user(db, user).await?;
    if !account.state.two_factor {
        return Err(UserRejection::TwoFactorOff.into());
    }
    let user_id = account.id();
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        let (_, totp) = stored_totp(db, keys, "totp", user_id, user)
            .await
            .ok_or_else(|| UserError::Invalid(messages::secret_unopenable()))?;
        let step = totp.check_current(code).ok_or(UserError::WrongCode)?;
        // One conditional write: of two requests with the same code, only one moves the step forward.
        if !advance_step(&db.read_models, &subject("totp-step", user_id), step).await? {
            return Err(UserError::WrongCode);
        }
        return Ok(Proof::Totp);
    }
    let remaining = spend_recovery_code(db, keys, user_id, code).await?;
    // Record the use; a concurrent change of the stream (another code spent at the same moment) is read again.
    let mut account = account;
    for _ in 0..5 {
        match account.execute(db, &UserCommand::UseRecoveryCode { remaining }, metadata).await {
            Err(UserError::Append(lawha_store::AppendError::Conflict { .. })) => {
                account = existing_user(db, user).await?
            }
            other => return other.map(|()| Proof::RecoveryCode),
        }
    }
    Err(UserError::WrongCode)
}

/// Moves the last accepted time step of a user to `step` if it is later; false when it is not (a replay).
async fn advance_step(pool: &sqlx::AnyPool, step_subject: &str, step: u64) -> Result<bool, sqlx::Error> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let done = sqlx::query(
        "INSERT INTO credentials (subject, hash, updated_at) VALUES ($1, $2, $3)          ON CONFLICT (subject) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at          WHERE CAST(credentials.hash AS BIGINT) < $4",
    )
    .bind(step_subject.to_owned())
    .bind(step.to_string())
    .bind(chrono::Utc::now().timestamp_micros())
    .bind(step)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends a recovery code with a compare-and-set on the list of unused ones, so a code is spent once even when
/// two requests present it together; returns how many are left, `WrongCode` for an unknown or spent code.
async fn spend_recovery_code(db: &Database, keys: &TwoFactorKeys, user_id: Uuid, code: &str) -> Result<u32, UserError> {
    let codes_subject = subject("recovery", user_id);
    let wanted = keys.recovery_hash(code);
    for _ in 0..10 {
        let Some(stored) = credentials::load(&db.read_models, &codes_subject).await? else {
            return Err(UserError::WrongCode);
        };
        let mut hashes: Vec<&str> = stored.split(',').filter(|h| !h.is_empty()).collect();
        let Some(index) = hashes.iter().position(|h| credentials::constant_time_eq(h, &wanted)) else {
            return Err(UserError::WrongCode);
        };
        hashes.remove(index);
        let swapped = sqlx::query("UPDATE credentials SET hash = $1, updated_at = $2 WHERE subject = $3 AND hash = $4")
            .bind(hashes.join(","))
            .bind(chrono::Utc::now().timestamp_micros())
            .bind(codes_subject.clone())
            .bind(stored.clone())
            .execute(&db.read_models)
            .await?;
        if swapped.rows_affected() == 1 {
            return Ok(u32::try_from(hashes.len()).unwrap_or(0));
        }
        // Another code was spent meanwhile: read the list again.
    }
    Err(UserError::WrongCode)
}

/// Turns two-factor off after checking the password (throttled, on the bounded pool) and a code (TOTP or
/// recovery).
pub async fn disable(
    db: &Database,
    work: &PasswordWork,
    keys: &TwoFactorKeys,
    user: &str,
    password: &str,
    code: &str,
    metadata: &Metadata,
) -> Result<(), UserError> {
    let user_id = existing_user(db, user).await?.id();
    reauth::check_current_password(db, work, user, user_id, password).await?;
    verify(db, keys, user, code, metadata).await?;
    for kind in ["totp", "totp-step", "recovery"] {
        credentials::delete(&db.read_models, &subject(kind, user_id)).await?;
    }
    // Read again: spending a recovery code above moved the stream on.
    existing_user(db, user).await?.execute(db, &UserCommand::DisableTwoFactor, metadata).await
}

/// Whether the user has two-factor sign-in on, from the users read model.
pub async fn is_enabled(db: &Database, user: &str) -> Result<bool, sqlx::Error> {
    let on: Option<i64> = sqlx::query_scalar("SELECT two_factor FROM users WHERE name = $1")
        .bind(user.to_owned())
        .fetch_optional(&db.read_models)
        .await?;
    Ok(on == Some(1))
}

/// A recovery code: ten letters from an unambiguous alphabet (about 50 bits), shown as `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    let letters: Vec<char> =
        (0..10).map(|_| char::from(CODE_ALPHABET[usize::from(rand::random::<u8>()) % CODE_ALPHABET.len()])).collect();
    format!("{}-{}", letters[..5].iter().collect::<String>(), letters[5..].iter().collect::<String>())
}

/// Recovery codes compare without case, spaces or dashes.
fn normalize(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The current code of an enrolled secret, for tests that play the authenticator app.
pub fn code_for(secret_base32: &str, at_unix_secs: u64) -> Option<String> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).ok()?;
    let totp = Builder::new().with_secret(secret).build_noncompliant();
    Some(totp.generate(at_unix_secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_unambiguous_and_compare_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert!(code.chars().all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8))), "{code}");
        let keys = TwoFactorKeys::derive(b"a secret key of at least thirty-two bytes");
        assert_eq!(keys.recovery_hash(&code), keys.recovery_hash(&code.to_uppercase().replace('-', " ")));
        assert_ne!(keys.recovery_hash("abcde-fghjk"), keys.recovery_hash("abcde-fghjm"));
    }

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the 6-digit code is its last six digits.
        let secret = totp_rs::Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_for(&secret, 59).as_deref(), Some("287082"));
    }
}
