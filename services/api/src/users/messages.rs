//! The messages of the users capability in the panel: passwords, codes and sign-in. The account rules' own
//! messages are the domain's (`lawha_domain::users::messages`).

lawha_domain::messages! {
    /// A new password that is too short.
    password_too_short = "users.password_too_short"(min);
    /// A new password that is too long.
    password_too_long = "users.password_too_long"(max);
    /// The two new passwords of a form differ.
    passwords_differ = "users.passwords_differ";
    /// A two-factor code that is wrong, expired or already used.
    wrong_code = "users.wrong_code";
    /// The current password given was wrong.
    wrong_password = "users.wrong_password";
    /// A role change that would leave no administrator.
    last_admin = "users.last_admin";
    /// Confirming two-factor sign-in before enrolling.
    no_pending_secret = "users.no_pending_secret";
    /// The stored two-factor secret does not open (the secret key changed).
    secret_unopenable = "users.secret_unopenable";
    /// A password or a secret that could not be processed; `reason` is the library's.
    credential_failed = "users.credential_failed"(reason);
    /// Wrong user name or password (never says which).
    invalid_credentials = "users.invalid_credentials";
    /// Too many failed sign-ins.
    locked_out = "users.locked_out"(seconds);
    /// The code step of a sign-in without the password step.
    no_pending_sign_in = "users.no_pending_sign_in";
    /// Too many password checks running and waiting at once.
    busy = "users.busy"(seconds);
    /// Too many wrong current passwords (changing the password, turning two-factor off).
    password_checks_throttled = "users.password_checks_throttled"(seconds);
    /// Another administrator's role change is being recorded; the last-admin rule must see it first.
    role_change_in_progress = "users.role_change_in_progress";
}
