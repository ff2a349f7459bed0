-- Server-side sessions of the web UI. The cookie carries only the random id; `user_name` is copied out of the
-- session data so "sign out everywhere" is one DELETE.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_name   TEXT,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed sign-ins per account and per client address, for throttling and lockout. Operational state, not a
-- read model: every failure and lockout is also an event in the log, which is what the audit view shows.
CREATE TABLE sign_in_failures (
    subject       TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_failure  BIGINT NOT NULL,
    locked_until  BIGINT NOT NULL
);
