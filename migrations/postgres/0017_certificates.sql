-- Certificates: TLS certificates ordered from an ACME CA. `certificates` is a read model fed by the
-- `certificates` projection from the `certificate-<id>` streams (disposable, invariant 1): one row per certificate
-- with its spec and where it is. Ids are uuid text; times are microseconds since the epoch; `names` is a JSON
-- array of text; `last_error` is the failed order's reason as a message (JSON). The cert worker of `host` reads its
-- own rows to find the certificates it checks for renewal.
CREATE TABLE certificates (
    certificate_id      TEXT PRIMARY KEY,
    host                TEXT NOT NULL,
    names               TEXT NOT NULL,
    challenge           TEXT NOT NULL,
    directory_url       TEXT NOT NULL,
    key_type            TEXT NOT NULL,
    profile             TEXT,
    email               TEXT,
    status              TEXT NOT NULL,
    serial              TEXT,
    issuer              TEXT,
    fingerprint         TEXT,
    not_before          BIGINT,
    not_after           BIGINT,
    window_start        BIGINT,
    window_end          BIGINT,
    installed_serial    TEXT,
    certificate_path    TEXT,
    last_attempt_at     BIGINT,
    failures            BIGINT NOT NULL,
    last_error_step     TEXT,
    last_error          TEXT,
    next_retry_at       BIGINT,
    requested_at        BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    deleted             BIGINT NOT NULL,
    stream_version      BIGINT NOT NULL
);

CREATE INDEX certificates_by_host ON certificates (host, deleted);
