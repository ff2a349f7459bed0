-- The audit_log read model: one row per event, for the audit view. Disposable (invariant 1).
CREATE TABLE audit_log (
    position     BIGINT PRIMARY KEY,
    recorded_at  BIGINT NOT NULL,
    actor        TEXT,
    ip           TEXT,
    event_type   TEXT NOT NULL,
    stream_id    TEXT NOT NULL,
    category     TEXT NOT NULL,
    summary      TEXT NOT NULL,
    request_id   TEXT
);
CREATE INDEX audit_log_actor ON audit_log (actor, position);
CREATE INDEX audit_log_type ON audit_log (event_type, position);
CREATE INDEX audit_log_stream ON audit_log (stream_id, position);
CREATE INDEX audit_log_category ON audit_log (category, position);
CREATE INDEX audit_log_time ON audit_log (recorded_at);
