-- The jobs read model, fed by the `jobs` projection from the requesting events and the `job-<id>` streams
-- (disposable, invariant 1). Times are microseconds since the epoch; `output` is JSON text. `stream_version` is
-- the last version of the job's stream applied to the row: an event at or below it changes nothing, so a
-- replayed batch is a no-op and a row never moves backwards.
CREATE TABLE jobs (
    job_id            TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    queue             TEXT NOT NULL,
    state             TEXT NOT NULL,
    attempt           BIGINT NOT NULL,
    max_attempts      BIGINT NOT NULL,
    correlation_id    TEXT,
    requested_at      BIGINT NOT NULL,
    requested_by      TEXT NOT NULL,
    request_position  BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT,
    next_run_at       BIGINT,
    last_error        TEXT,
    duration_ms       BIGINT,
    output            TEXT,
    stream_version    BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
-- The list is newest first by request position, filtered by state, kind or neither.
CREATE INDEX jobs_position ON jobs (request_position);
CREATE INDEX jobs_state ON jobs (state, request_position);
CREATE INDEX jobs_kind ON jobs (kind, request_position);

-- One row per attempt begun (or ended without a recorded start): who ran it, when, and how it ended.
CREATE TABLE job_attempts (
    job_id       TEXT NOT NULL,
    attempt      BIGINT NOT NULL,
    worker       TEXT,
    started_at   BIGINT,
    finished_at  BIGINT,
    outcome      TEXT NOT NULL,
    error        TEXT,
    duration_ms  BIGINT,
    PRIMARY KEY (job_id, attempt)
);
