-- Read models of accounts and API tokens, fed by the `users` projection (disposable, invariant 1).
CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_id    TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Credentials are secrets, not facts: they never enter the event log (invariant 8), so they live here, written
-- by the command that records the matching event, and are not touched by a rebuild. `subject` is
-- `password:<user_id>` (an argon2id PHC string) or `token:<token_id>` (hex SHA-256 of the token's secret).
CREATE TABLE credentials (
    subject     TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- When each token was last used: operational data for the account page, deliberately outside the log so that
-- every API call does not become an event.
CREATE TABLE token_usage (
    token_id      TEXT PRIMARY KEY,
    last_used_at  BIGINT NOT NULL
);
