//! The user commands: load the stream, decide, store the credential, append. Shared by the CLI and the API.

use chrono::Utc;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    users::{Role, Scope, User, UserCommand, UserEvent, UserName, UserRejection},
};
use lawha_store::{AppendError, Database};
use sqlx::Row as _;
use uuid::Uuid;

use super::{UserError, credentials, guard::Guard, hashing::PasswordWork, reauth};

/// Namespace of user ids, so a name always maps to the same id.
const USER_NAMESPACE: Uuid = Uuid::from_u128(0x6c61_7768_615f_7573_6572_735f_6e73_0001);

/// A user's stream is named after the user, so the log itself keeps names unique: creating a second "amira"
/// conflicts on version 0 instead of racing a read-model check.
pub fn user_stream(name: &UserName) -> StreamId {
    StreamId::parse(format!("{}-{}", User::CATEGORY, name.as_str())).unwrap_or_else(|e| panic!("{e}"))
}

/// The id of the user with this name.
pub fn user_id(name: &UserName) -> Uuid {
    Uuid::new_v5(&USER_NAMESPACE, name.as_str().as_bytes())
}

/// Creates a user with a password: the hash is stored first (a stray hash without a user is harmless; a user
/// without a password is not), then `UserCreated` and `PasswordChanged` are appended.
pub async fn create_user(
    db: &Database,
    name: &str,
    role: Role,
    password: &str,
    metadata: &Metadata,
) -> Result<Uuid, UserError> {
    let name = UserName::parse(name).map_err(UserError::Invalid)?;
    credentials::check_password(password).map_err(UserError::Invalid)?;
    let user_id = user_id(&name);
    let stream = user_stream(&name);
    if db.events.stream_version(&stream).await? > 0 {
        return Err(UserRejection::AlreadyExists.into());
    }
    let hash = credentials::hash_password(password).map_err(UserError::Invalid)?;
    credentials::store(&db.read_models, &format!("password:{user_id}"), &hash).await?;
    let events = [UserEvent::UserCreated { user_id, name: name.clone(), role }, UserEvent::PasswordChanged { user_id }];
    let events = events.iter().map(|e| e.to_new_event(metadata.clone())).collect();
    db.events.append(&stream, ExpectedVersion::Exact(0), events).await.map_err(|e| match e {
        AppendError::Conflict { .. } => UserError::Rejected(UserRejection::AlreadyExists),
        other => other.into(),
    })?;
    Ok(user_id)
}

/// A user's state as read from its stream, with the version it was read at: commands are decided on this state
/// and appended expecting that version, so a concurrent change is a conflict rather than a lost rule.
#[derive(Debug)]
pub struct Account {
    /// The user's name.
    pub name: UserName,
    /// The state folded from its events.
    pub state: User,
    version: i64,
}

impl Account {
    /// The user's id (an `Account` only exists for created users).
    pub fn id(&self) -> Uuid {
        self.state.id.unwrap_or_default()
    }

    /// The events `command` yields on this state, or the rule that refuses it.
    pub fn decide(&self, command: &UserCommand, metadata: &Metadata) -> Result<Vec<NewEvent>, UserError> {
        Ok(self.state.decide(command, Utc::now())?.iter().map(|e| e.to_new_event(metadata.clone())).collect())
    }

    /// Appends decided events at the version the state was read at.
    pub async fn append(&self, db: &Database, events: Vec<NewEvent>) -> Result<(), UserError> {
        db.events.append(&user_stream(&self.name), ExpectedVersion::Exact(self.version), events).await?;
        Ok(())
    }

    /// Decides and appends `command`.
    pub async fn execute(&self, db: &Database, command: &UserCommand, metadata: &Metadata) -> Result<(), UserError> {
        self.append(db, self.decide(command, metadata)?).await
    }
}

/// Reads the user called `name`, refusing unknown names.
pub async fn existing_user(db: &Database, name: &str) -> Result<Account, UserError> {
    let name = UserName::parse(name).map_err(UserError::Invalid)?;
    let lawha_store::Loaded { state, version, .. } =
        lawha_store::load::<User>(db.events.as_ref(), &user_stream(&name)).await?;
    if state.id.is_none() {
        return Err(UserRejection::NotFound.into());
    }
    Ok(Account { name, state, version })
}

/// Changes a password after checking the current one (throttled, on the bounded pool); the new hash replaces
/// the old before the event. Every other session of the user ends (one stolen before the change is worthless
/// after it); `keep` is the session making the change. Returns how many sessions ended.
pub async fn change_password(
    db: &Database,
    work: &PasswordWork,
    name: &str,
    current: &str,
    new: &str,
    keep: Option<tower_sessions::session::Id>,
    metadata: &Metadata,
) -> Result<u64, UserError> {
    let account = existing_user(db, name).await?;
    reauth::check_current_password(db, work, name, account.id(), current).await?;
    credentials::check_password(new).map_err(UserError::Invalid)?;
    let hash = work.hash(new).await?.map_err(UserError::Invalid)?;
    credentials::store(&db.read_models, &format!("password:{}", account.id()), &hash).await?;
    account.execute(db, &UserCommand::ChangePassword, metadata).await?;
    Ok(super::session::DbSessionStore::new(db.read_models.clone()).delete_others(name, keep).await?)
}

/// How long a demotion waits for another to be recorded before answering `role_change_in_progress`.
const ROLE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Gives a user another role; the last administrator cannot stop being one (nobody could manage users then).
/// A demotion of an administrator holds the `roles` lock from the count until the read model shows it, so two
/// administrators demoting each other at once leave one administrator, never none.
pub async fn change_role(db: &Database, name: &str, role: Role, metadata: &Metadata) -> Result<(), UserError> {
    let account = existing_user(db, name).await?;
    if account.state.role != Some(Role::Admin) || role == Role::Admin {
        return account.execute(db, &UserCommand::ChangeRole { role }, metadata).await;
    }
    let Some(guard) = Guard::acquire(&db.read_models, "roles", ROLE_LOCK_WAIT).await? else {
        return Err(UserError::RoleChangeInProgress);
    };
    let result = demote_admin(db, name, role, metadata).await;
    guard.release().await?;
    result
}

/// The demotion itself, under the `roles` lock: read again (the stream may have moved while waiting), count the
/// other administrators, append, and wait until the read model counts the change.
async fn demote_admin(db: &Database, name: &str, role: Role, metadata: &Metadata) -> Result<(), UserError> {
    let account = existing_user(db, name).await?;
    if account.state.role == Some(Role::Admin) {
        let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND name <> $1")
            .bind(name.to_owned())
            .fetch_one(&db.read_models)
            .await?;
        if others < 1 {
            return Err(UserError::LastAdmin);
        }
    }
    account.execute(db, &UserCommand::ChangeRole { role }, metadata).await?;
    // The next demotion counts from the read model: it must show this one before the lock goes.
    let wanted = role.to_string();
    let shown = || async {
        sqlx::query_scalar::<_, String>("SELECT role FROM users WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&db.read_models)
            .await
            .is_ok_and(|found| found.as_deref() == Some(wanted.as_str()))
    };
    for _ in 0..400 {
        if shown().await {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tracing::warn!(user = name, "the users read model did not show a demotion within 10 s");
    Ok(())
}

/// Revokes one of `user`'s tokens.
pub async fn revoke_token(db: &Database, user: &str, token_id: Uuid, metadata: &Metadata) -> Result<(), UserError> {
    existing_user(db, user).await?.execute(db, &UserCommand::RevokeToken { token_id }, metadata).await
}

/// A token as shown once to its owner.
#[derive(Debug)]
pub struct IssuedToken {
    /// Its id (the part after `lawha_`).
    pub token_id: Uuid,
    /// The whole token: `lawha_<id hex>_<secret hex>`. Never stored, never logged.
    pub token: String,
}

/// Issues an API token for `user`.
pub async fn create_token(
    db: &Database,
    user: &str,
    label: &str,
    scopes: Vec<Scope>,
    metadata: &Metadata,
) -> Result<IssuedToken, UserError> {
    let account = existing_user(db, user).await?;
    let token_id = Uuid::new_v4();
    // Two v4 UUIDs give 244 random bits from the operating system's generator.
    let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let command = UserCommand::CreateToken { token_id, name: label.to_owned(), scopes };
    // Decide before storing the hash, so a refused token leaves nothing behind.
    let events = account.decide(&command, metadata)?;
    credentials::store(&db.read_models, &format!("token:{token_id}"), &credentials::hash_token_secret(&secret)).await?;
    account.append(db, events).await?;
    Ok(IssuedToken { token_id, token: format!("lawha_{}_{secret}", token_id.simple()) })
}

/// Who a valid, unrevoked token belongs to and the level it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    /// The token's id.
    pub token_id: Uuid,
    /// The token's label.
    pub token_name: String,
    /// The owner's name.
    pub user: String,
    /// The effective level: the highest scope, never above the owner's role.
    pub level: Role,
}

/// Reads a token's stored hash and its owner from the credential and the read models; `None` when the token is
/// unknown, revoked or grants nothing. The caller compares the presented secret (see `token_cache`).
pub async fn lookup_token(db: &Database, token_id: Uuid) -> Result<Option<(String, TokenOwner)>, UserError> {
    let row = sqlx::query(
        "SELECT t.name AS token_name, t.scopes, u.name AS user_name, u.role, c.hash FROM api_tokens t \
         JOIN users u ON u.user_id = t.user_id JOIN credentials c ON c.subject = $1 \
         WHERE t.token_id = $2 AND t.revoked_at IS NULL",
    )
    .bind(format!("token:{token_id}"))
    .bind(token_id.to_string())
    .fetch_optional(&db.read_models)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: Role = Role::parse_input(&row.get::<String, _>("role")).map_err(UserError::Invalid)?;
    let scopes: String = row.get("scopes");
    let best = scopes.split(',').filter_map(|s| s.parse::<Scope>().ok()).map(Scope::level).max();
    let Some(best) = best else { return Ok(None) };
    let owner =
        TokenOwner { token_id, token_name: row.get("token_name"), user: row.get("user_name"), level: best.min(role) };
    Ok(Some((row.get("hash"), owner)))
}
