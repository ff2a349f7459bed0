-- Secrets that events refer to instead of carrying (issue 14): a plan's database password, a restore target's
-- password, the age identity of one verification or restore. An event holds `secret:<id>`; the sealed value lives
-- here, so deleting the row (the plan is deleted or its password changed, the job is done) forgets the secret,
-- which a line in an append-only log never could. Not facts: a rebuild of the read models never touches this
-- table. `purpose` says what the secret is (`plan_password`, `target_password`, `age_identity`).
CREATE TABLE secrets (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX secrets_purpose_created ON secrets (purpose, created_at);
