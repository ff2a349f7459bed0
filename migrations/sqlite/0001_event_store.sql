-- The event log, the only source of truth (invariant 1). SQLite has one writer, and appends run inside
-- BEGIN IMMEDIATE, so position order is commit order (invariant 5). Times are microseconds since the epoch.
CREATE TABLE streams (
    stream_id   TEXT PRIMARY KEY,
    category    TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE events (
    position        INTEGER PRIMARY KEY CHECK (position > 0),
    event_id        TEXT NOT NULL UNIQUE,
    stream_id       TEXT NOT NULL,
    category        TEXT NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version > 0),
    type            TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    recorded_at     INTEGER NOT NULL,
    chain           BLOB NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_category_position ON events (category, position);
CREATE INDEX events_type_position ON events (type, position);

CREATE TABLE chain_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    position  INTEGER NOT NULL,
    chain     BLOB NOT NULL
);

CREATE TABLE checkpoints (
    name        TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
