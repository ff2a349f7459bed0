use super::*;
use crate::testing::given;

fn created(role: Role) -> UserEvent {
    UserEvent::UserCreated { user_id: Uuid::nil(), name: UserName::parse("amira").unwrap(), role }
}

#[test]
fn a_new_user_is_created_once() {
    let cmd = UserCommand::Create { user_id: Uuid::nil(), name: UserName::parse("amira").unwrap(), role: Role::Admin };
    given::<User>([]).when(&cmd, Utc::now()).then_expect([created(Role::Admin)]);
    given::<User>([created(Role::Admin)]).when(&cmd, Utc::now()).then_reject(|r| *r == UserRejection::AlreadyExists);
}

#[test]
fn tokens_never_carry_more_power_than_their_owner() {
    let token = |scopes: Vec<Scope>| UserCommand::CreateToken { token_id: Uuid::nil(), name: "ci".into(), scopes };
    given::<User>([created(Role::Operator)]).when(&token(vec![Scope::Admin]), Utc::now()).then_reject(
        |r| matches!(r, UserRejection::InvalidToken(m) if *m == messages::token_scope_above("operator", "admin")),
    );
    given::<User>([created(Role::Operator)])
        .when(&token(vec![]), Utc::now())
        .then_reject(|r| matches!(r, UserRejection::InvalidToken(_)));
    given::<User>([created(Role::Operator)])
        .when(&token(vec![Scope::Operate, Scope::Read, Scope::Read]), Utc::now())
        .then_expect([UserEvent::ApiTokenCreated {
            user_id: Uuid::nil(),
            token_id: Uuid::nil(),
            name: "ci".into(),
            scopes: vec![Scope::Read, Scope::Operate],
        }]);
}

#[test]
fn only_active_tokens_can_be_revoked() {
    let issued = UserEvent::ApiTokenCreated {
        user_id: Uuid::nil(),
        token_id: Uuid::nil(),
        name: "x".into(),
        scopes: vec![Scope::Read],
    };
    let revoke = UserCommand::RevokeToken { token_id: Uuid::nil() };
    given::<User>([created(Role::Admin), issued.clone()])
        .when(&revoke, Utc::now())
        .then_expect([UserEvent::ApiTokenRevoked { user_id: Uuid::nil(), token_id: Uuid::nil() }]);
    given::<User>([
        created(Role::Admin),
        issued,
        UserEvent::ApiTokenRevoked { user_id: Uuid::nil(), token_id: Uuid::nil() },
    ])
    .when(&revoke, Utc::now())
    .then_reject(|r| *r == UserRejection::NoSuchToken);
}

#[test]
fn two_factor_turns_on_once_and_off_only_when_on() {
    let on = UserEvent::TwoFactorEnabled { user_id: Uuid::nil(), recovery_codes: 10 };
    given::<User>([created(Role::Viewer)])
        .when(&UserCommand::EnableTwoFactor { recovery_codes: 10 }, Utc::now())
        .then_expect([on.clone()]);
    given::<User>([created(Role::Viewer), on.clone()])
        .when(&UserCommand::EnableTwoFactor { recovery_codes: 10 }, Utc::now())
        .then_reject(|r| *r == UserRejection::TwoFactorAlreadyOn);
    given::<User>([created(Role::Viewer)])
        .when(&UserCommand::DisableTwoFactor, Utc::now())
        .then_reject(|r| *r == UserRejection::TwoFactorOff);
    given::<User>([created(Role::Viewer), on])
        .when(&UserCommand::UseRecoveryCode { remaining: 9 }, Utc::now())
        .then_expect([UserEvent::RecoveryCodeUsed { user_id: Uuid::nil(), remaining: 9 }]);
}

#[test]
fn a_role_change_must_change_something() {
    given::<User>([created(Role::Viewer)])
        .when(&UserCommand::ChangeRole { role: Role::Viewer }, Utc::now())
        .then_reject(|r| *r == UserRejection::SameRole(Role::Viewer));
    given::<User>([created(Role::Viewer)])
        .when(&UserCommand::ChangeRole { role: Role::Admin }, Utc::now())
        .then_expect([UserEvent::RoleChanged { user_id: Uuid::nil(), role: Role::Admin }]);
}

#[test]
fn names_roles_and_scopes_parse_strictly() {
    assert!(UserName::parse("ops-bot.2").is_ok());
    for bad in ["", "Amira", "1abc", "a b", &"a".repeat(65)] {
        assert!(UserName::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!("Operator".parse::<Role>(), Ok(Role::Operator));
    assert!("root".parse::<Role>().unwrap_err().contains("viewer, operator, admin"));
    assert_eq!("operate".parse::<Scope>(), Ok(Scope::Operate));
    assert!(Role::Viewer < Role::Operator && Role::Operator < Role::Admin);
}
