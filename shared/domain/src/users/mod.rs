//! People and API tokens: who may act, with which role or scopes.
//!
//! A user's stream holds facts about the account (created, role changed, password changed, disabled) and about
//! its API tokens (created, revoked). Password hashes and token hashes are credentials, not facts: they never
//! enter an event (invariant 8) and live in the store's credential table beside the log.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    aggregate::{Aggregate, DomainEvent},
    message::Message,
};

pub mod messages;

/// What a person may do, in increasing order of power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything an operator sees; changes nothing.
    Viewer,
    /// Runs backups, deployments and renewals.
    Operator,
    /// Manages users, tokens and settings.
    Admin,
}

/// What an API token may do; each scope grants the level of the role of the same rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read-only requests.
    Read,
    /// Operating requests (run a backup, deploy).
    Operate,
    /// Administration.
    Admin,
}

/// The level a route needs; roles and scopes are compared against it.
pub type Level = Role;

impl Scope {
    /// The role level this scope grants.
    pub fn level(self) -> Level {
        match self {
            Self::Read => Role::Viewer,
            Self::Operate => Role::Operator,
            Self::Admin => Role::Admin,
        }
    }
}

macro_rules! text_enum {
    ($ty:ty, $what:literal, $($variant:ident = $text:literal),+) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $(Self::$variant => $text),+ })
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(concat!("unknown ", $what, " {:?}; expected one of: {}"), other, Self::NAMES.join(", "))),
                }
            }
        }
    };
}
text_enum!(Role, "role", Viewer = "viewer", Operator = "operator", Admin = "admin");
text_enum!(Scope, "scope", Read = "read", Operate = "operate", Admin = "admin");

impl Role {
    /// Every role's name, lowest first.
    pub const NAMES: [&str; 3] = ["viewer", "operator", "admin"];

    /// A role from a form or a request; the refusal names the valid ones.
    pub fn parse_input(text: &str) -> Result<Self, Message> {
        text.parse().map_err(|_| messages::role_unknown(text.trim(), Self::NAMES.join(", ")))
    }
}

impl Scope {
    /// Every scope's name, lowest first.
    pub const NAMES: [&str; 3] = ["read", "operate", "admin"];

    /// A scope from a form or a request; the refusal names the valid ones.
    pub fn parse_input(text: &str) -> Result<Self, Message> {
        text.parse().map_err(|_| messages::scope_unknown(text.trim(), Self::NAMES.join(", ")))
    }
}

/// A user name: 1-64 characters of lowercase letters, digits, `.`, `_` and `-`, starting with a letter, so it
/// is safe in URLs, logs and actor strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Parses and checks a user name.
    pub fn parse(name: &str) -> Result<Self, Message> {
        let ok = (1..=64).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
        if ok { Ok(Self(name.to_owned())) } else { Err(messages::name_invalid(name)) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = Message;
    fn try_from(value: String) -> Result<Self, Message> {
        Self::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(value: UserName) -> Self {
        value.0
    }
}

/// Facts about a user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum UserEvent {
    /// The account exists.
    UserCreated {
        /// Its id (also the stream id).
        user_id: Uuid,
        /// Its unique name.
        name: UserName,
        /// Its role.
        role: Role,
    },
    /// The password was set or changed (the hash is stored as a credential, never here).
    PasswordChanged {
        /// The account.
        user_id: Uuid,
    },
    /// An API token was issued (its hash is a credential, never here).
    ApiTokenCreated {
        /// The account.
        user_id: Uuid,
        /// The token's id; the token text begins with it, so lookups need no scan.
        token_id: Uuid,
        /// A label chosen by the owner.
        name: String,
        /// What it may do.
        scopes: Vec<Scope>,
    },
    /// An API token was revoked.
    ApiTokenRevoked {
        /// The account.
        user_id: Uuid,
        /// The token.
        token_id: Uuid,
    },
    /// An administrator changed the account's role.
    RoleChanged {
        /// The account.
        user_id: Uuid,
        /// The new role.
        role: Role,
    },
    /// Two-factor sign-in (TOTP) was confirmed with a code; the secret and recovery-code hashes are credentials.
    TwoFactorEnabled {
        /// The account.
        user_id: Uuid,
        /// How many recovery codes were issued.
        recovery_codes: u32,
    },
    /// Two-factor sign-in was turned off (with the password and a code).
    TwoFactorDisabled {
        /// The account.
        user_id: Uuid,
    },
    /// A single-use recovery code was spent instead of a TOTP code.
    RecoveryCodeUsed {
        /// The account.
        user_id: Uuid,
        /// Codes left.
        remaining: u32,
    },
}

impl DomainEvent for UserEvent {}

/// What may be asked of a user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create the account (the caller has checked the name is free in the users read model).
    Create {
        /// Its id.
        user_id: Uuid,
        /// Its name.
        name: UserName,
        /// Its role.
        role: Role,
    },
    /// Record that the password changed.
    ChangePassword,
    /// Issue a token.
    CreateToken {
        /// Its id.
        token_id: Uuid,
        /// Its label.
        name: String,
        /// Its scopes.
        scopes: Vec<Scope>,
    },
    /// Revoke a token.
    RevokeToken {
        /// The token.
        token_id: Uuid,
    },
    /// Give the account another role.
    ChangeRole {
        /// The new role.
        role: Role,
    },
    /// Turn two-factor sign-in on (the caller checked the confirmation code).
    EnableTwoFactor {
        /// Recovery codes issued.
        recovery_codes: u32,
    },
    /// Turn two-factor sign-in off (the caller checked the password and a code).
    DisableTwoFactor,
    /// Record a spent recovery code.
    UseRecoveryCode {
        /// Codes left.
        remaining: u32,
    },
}

/// Why a command on a user was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserRejection {
    /// Create on an existing account.
    #[error("the user already exists")]
    AlreadyExists,
    /// Any other command before Create.
    #[error("no such user")]
    NotFound,
    /// A token without scopes, with a bad label, or with more power than its owner.
    #[error("{0}")]
    InvalidToken(Message),
    /// Revoking a token that is not active.
    #[error("no such active token")]
    NoSuchToken,
    /// The account already has this role.
    #[error("the user already has the {0} role")]
    SameRole(Role),
    /// Enabling two-factor sign-in twice.
    #[error("two-factor sign-in is already on")]
    TwoFactorAlreadyOn,
    /// Disabling (or using a recovery code for) two-factor sign-in that is off.
    #[error("two-factor sign-in is off")]
    TwoFactorOff,
}

impl UserRejection {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::AlreadyExists => messages::exists(),
            Self::NotFound => messages::not_found(),
            Self::InvalidToken(message) => message.clone(),
            Self::NoSuchToken => messages::token_not_found(),
            Self::SameRole(role) => messages::same_role(role.to_string()),
            Self::TwoFactorAlreadyOn => messages::two_factor_on(),
            Self::TwoFactorOff => messages::two_factor_off(),
        }
    }
}

/// A user account's state, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// Its id, once created.
    pub id: Option<Uuid>,
    /// Its role.
    pub role: Option<Role>,
    /// Active tokens.
    pub tokens: Vec<Uuid>,
    /// Whether two-factor sign-in is on.
    pub two_factor: bool,
}

impl Aggregate for User {
    const CATEGORY: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Rejection = UserRejection;

    fn apply(mut self, event: &UserEvent) -> Self {
        match event {
            UserEvent::UserCreated { user_id, role, .. } => {
                self.id = Some(*user_id);
                self.role = Some(*role);
            }
            UserEvent::PasswordChanged { .. } => {}
            UserEvent::ApiTokenCreated { token_id, .. } => self.tokens.push(*token_id),
            UserEvent::ApiTokenRevoked { token_id, .. } => self.tokens.retain(|t| t != token_id),
            UserEvent::RoleChanged { role, .. } => self.role = Some(*role),
            UserEvent::TwoFactorEnabled { .. } => self.two_factor = true,
            UserEvent::TwoFactorDisabled { .. } => self.two_factor = false,
            UserEvent::RecoveryCodeUsed { .. } => {}
        }
        self
    }

    fn decide(&self, command: &UserCommand, _now: DateTime<Utc>) -> Result<Vec<UserEvent>, UserRejection> {
        let existing = self.id.zip(self.role);
        match (command, existing) {
            (UserCommand::Create { user_id, name, role }, None) => {
                Ok(vec![UserEvent::UserCreated { user_id: *user_id, name: name.clone(), role: *role }])
            }
            (UserCommand::Create { .. }, Some(_)) => Err(UserRejection::AlreadyExists),
            (_, None) => Err(UserRejection::NotFound),
            (UserCommand::ChangePassword, Some((user_id, _))) => Ok(vec![UserEvent::PasswordChanged { user_id }]),
            (UserCommand::CreateToken { token_id, name, scopes }, Some((user_id, role))) => {
                check_token(name, scopes, role)?;
                let mut scopes = scopes.clone();
                scopes.sort();
                scopes.dedup();
                Ok(vec![UserEvent::ApiTokenCreated {
                    user_id,
                    token_id: *token_id,
                    name: name.trim().to_owned(),
                    scopes,
                }])
            }
            (UserCommand::RevokeToken { token_id }, Some((user_id, _))) => {
                if !self.tokens.contains(token_id) {
                    return Err(UserRejection::NoSuchToken);
                }
                Ok(vec![UserEvent::ApiTokenRevoked { user_id, token_id: *token_id }])
            }
            (UserCommand::ChangeRole { role }, Some((user_id, current))) => {
                if *role == current {
                    return Err(UserRejection::SameRole(current));
                }
                Ok(vec![UserEvent::RoleChanged { user_id, role: *role }])
            }
            (UserCommand::EnableTwoFactor { .. }, Some(_)) if self.two_factor => Err(UserRejection::TwoFactorAlreadyOn),
            (UserCommand::EnableTwoFactor { recovery_codes }, Some((user_id, _))) => {
                Ok(vec![UserEvent::TwoFactorEnabled { user_id, recovery_codes: *recovery_codes }])
            }
            (UserCommand::DisableTwoFactor | UserCommand::UseRecoveryCode { .. }, Some(_)) if !self.two_factor => {
                Err(UserRejection::TwoFactorOff)
            }
            (UserCommand::DisableTwoFactor, Some((user_id, _))) => Ok(vec![UserEvent::TwoFactorDisabled { user_id }]),
            (UserCommand::UseRecoveryCode { remaining }, Some((user_id, _))) => {
                Ok(vec![UserEvent::RecoveryCodeUsed { user_id, remaining: *remaining }])
            }
        }
    }
}

fn check_token(name: &str, scopes: &[Scope], owner: Role) -> Result<(), UserRejection> {
    let invalid = |m: Message| Err(UserRejection::InvalidToken(m));
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return invalid(messages::token_name_invalid());
    }
    if scopes.is_empty() {
        return invalid(messages::token_no_scope());
    }
    if let Some(scope) = scopes.iter().find(|s| s.level() > owner) {
        return invalid(messages::token_scope_above(owner.to_string(), scope.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
