-- Output lines of jobs (progress, tool output): raw lines, not facts, so they stay out of the event log (a dump's
-- progress would otherwise drown the audit view). Workers append lines; nothing updates or deletes one. `id` is
-- the cursor `GET /api/v1/jobs/{id}/log?after=N` pages with: one worker writes one job's lines one after another,
-- so their ids grow in the order they were written.
CREATE TABLE job_log (
    id       BIGSERIAL PRIMARY KEY,
    job_id   TEXT NOT NULL,
    attempt  BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    line     TEXT NOT NULL
);
CREATE INDEX job_log_job ON job_log (job_id, id);
