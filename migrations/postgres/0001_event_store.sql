-- The event log, the only source of truth (invariant 1). Positions are assigned under an advisory lock by one
-- appender at a time, so position order is commit order (invariant 5); no sequence is involved.
CREATE TABLE streams (
    stream_id   TEXT PRIMARY KEY,
    category    TEXT NOT NULL,
    version     BIGINT NOT NULL CHECK (version > 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE events (
    position        BIGINT PRIMARY KEY CHECK (position > 0),
    event_id        UUID NOT NULL UNIQUE,
    stream_id       TEXT NOT NULL,
    category        TEXT NOT NULL,
    stream_version  BIGINT NOT NULL CHECK (stream_version > 0),
    type            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            JSONB NOT NULL,
    metadata        JSONB NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    chain           BYTEA NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_category_position ON events (category, position);
CREATE INDEX events_type_position ON events (type, position);

-- The last position and chain value, so a verifier notices rows deleted from the end of the log too.
CREATE TABLE chain_head (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    position  BIGINT NOT NULL,
    chain     BYTEA NOT NULL
);

-- Where each subscriber (projection, job dispatcher) has got to; moved in the same transaction as its effects.
CREATE TABLE checkpoints (
    name        TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
