-- The backups read models, fed by the `backups` projection from the `backup_plan-<id>` and `backup_run-<id>`
-- streams (disposable, invariant 1). Times are microseconds since the epoch; JSON columns are text. Each row
-- carries the version of its stream last applied, so a replayed event changes nothing and a row never moves
-- backwards. No column ever holds a password: URLs are stored redacted, sealed secrets stay in the log.
CREATE TABLE backup_plans (
    plan_id            TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    source_kind        TEXT NOT NULL,
    source_location    TEXT NOT NULL,
    destination_path   TEXT NOT NULL,
    schedule           TEXT,
    timezone           TEXT NOT NULL,
    retention          TEXT NOT NULL,
    compression_level  BIGINT NOT NULL,
    encrypted_for      TEXT,
    deleted            BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    stream_version     BIGINT NOT NULL
);
CREATE INDEX backup_plans_name ON backup_plans (name);

CREATE TABLE backup_runs (
    run_id             TEXT PRIMARY KEY,
    plan_id            TEXT NOT NULL,
    job_id             TEXT NOT NULL,
    trigger_kind       TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempt            BIGINT NOT NULL,
    requested_at       BIGINT NOT NULL,
    request_position   BIGINT NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT,
    archive_path       TEXT,
    manifest_path      TEXT,
    size_bytes         BIGINT,
    source_bytes       BIGINT,
    sha256             TEXT,
    entries            BIGINT,
    skipped            TEXT,
    error              TEXT,
    pruned             BIGINT NOT NULL,
    pruned_reason      TEXT,
    last_verify        TEXT,
    last_restore       TEXT,
    stream_version     BIGINT NOT NULL
);
CREATE INDEX backup_runs_plan ON backup_runs (plan_id, request_position);
CREATE INDEX backup_runs_position ON backup_runs (request_position);
