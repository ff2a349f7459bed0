//! The messages of the account rules: a bad name, role or scope, a refused token, and why a command on an
//! account was refused.

crate::messages! {
    /// A user name that breaks the naming rule.
    name_invalid = "users.name_invalid"(name);
    /// A role that does not exist.
    role_unknown = "users.role_unknown"(value, valid);
    /// A scope that does not exist.
    scope_unknown = "users.scope_unknown"(value, valid);
    /// Create on an existing account.
    exists = "users.exists";
    /// An account that does not exist.
    not_found = "users.not_found";
    /// Revoking a token that is not active.
    token_not_found = "users.token_not_found";
    /// A role change to the role the user has.
    same_role = "users.same_role"(role);
    /// Enabling two-factor sign-in twice.
    two_factor_on = "users.two_factor_on";
    /// Disabling two-factor sign-in that is off.
    two_factor_off = "users.two_factor_off";
    /// A token label that is empty, too long or not printable.
    token_name_invalid = "users.token_name_invalid";
    /// A token without a scope.
    token_no_scope = "users.token_no_scope";
    /// A token with more power than its owner.
    token_scope_above = "users.token_scope_above"(owner, scope);
}
