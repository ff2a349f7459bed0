-- One round trip per append batch. The appender decides a batch against the head it knows (its own last write, or
-- what it last read), then calls this function as a single autocommit statement: it takes the append lock
-- (invariant 5), checks that the head is still the one the batch was decided on and that what the appender assumed
-- without reading holds, writes the rows, the stream versions and the new head, and commits. The lock is held only
-- while the server works, never across a client round trip.
-- Every append writes the head, so an unchanged head (position and chain value) means nothing was appended since
-- the appender last knew the log: what it read or wrote itself is still true. What it assumed without reading is
-- checked here: that a stream it appends to with an expected version is at that version, and that the event ids
-- are new.
-- Answers: 0 written; 1 the head has not reached the expected one yet (a call decided on top of another still on
-- its way got the lock first: the caller sends it again once that one has landed); 2 the head is elsewhere
-- (another process appended); 3 an assumption does not hold (the caller reads and decides again). Only 0 writes.
CREATE FUNCTION lawha_append(
    p_expected_position BIGINT,
    p_expected_chain    BYTEA,
    p_assumed_streams   TEXT[],
    p_assumed_versions  BIGINT[],
    p_positions         BIGINT[],
    p_event_ids         UUID[],
    p_streams           TEXT[],
    p_categories        TEXT[],
    p_versions          BIGINT[],
    p_types             TEXT[],
    p_schema_versions   INTEGER[],
    p_data              TEXT[],
    p_metadata          TEXT[],
    p_recorded_at       TIMESTAMPTZ,
    p_chains            BYTEA[],
    p_touched           TEXT[],
    p_touched_categories TEXT[],
    p_touched_versions  BIGINT[],
    p_head_position     BIGINT,
    p_head_chain        BYTEA
) RETURNS SMALLINT
LANGUAGE plpgsql
-- The statements below only insert and look rows up by unique keys, so a generic plan is always right, and
-- planning them again on every call would be work done while holding the lock.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    current_position BIGINT;
    current_chain    BYTEA;
    -- Parsed before the lock is taken: the part of the work that needs no order.
    parsed_data      JSONB[] := p_data::jsonb[];
    parsed_metadata  JSONB[] := p_metadata::jsonb[];
BEGIN
    -- "lawha" in ASCII (0x6c61776861): the same key the locked path takes, so both paths serialize together.
    PERFORM pg_advisory_xact_lock(465491683425);
    SELECT h.position, h.chain INTO current_position, current_chain FROM chain_head h WHERE h.id = 1;
    IF NOT FOUND THEN
        current_position := 0;
        current_chain := decode(repeat('00', 32), 'hex');
    END IF;
    IF current_position < p_expected_position THEN
        RETURN 1;
    END IF;
    IF current_position <> p_expected_position OR current_chain <> p_expected_chain THEN
        RETURN 2;
    END IF;
    -- Scalar subqueries, not joins: each is a unique-index probe whatever the table's size was when planned.
    IF EXISTS (SELECT 1 FROM unnest(p_assumed_streams, p_assumed_versions) AS a(s, v)
               WHERE coalesce((SELECT st.version FROM streams st WHERE st.stream_id = a.s), 0) <> a.v) THEN
        RETURN 3;
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_event_ids) AS n(id)
               WHERE (SELECT e.position FROM events e WHERE e.event_id = n.id) IS NOT NULL) THEN
        RETURN 3;
    END IF;
    INSERT INTO events (position, event_id, stream_id, category, stream_version, type, schema_version,
                        data, metadata, recorded_at, chain)
    SELECT p, i, s, c, v, t, sv, d, m, p_recorded_at, ch
    FROM unnest(p_positions, p_event_ids, p_streams, p_categories, p_versions, p_types, p_schema_versions,
                parsed_data, parsed_metadata, p_chains) AS u(p, i, s, c, v, t, sv, d, m, ch);
    INSERT INTO streams (stream_id, category, version, created_at, updated_at)
    SELECT s, c, v, p_recorded_at, p_recorded_at
    FROM unnest(p_touched, p_touched_categories, p_touched_versions) AS u(s, c, v)
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at;
    INSERT INTO chain_head (id, position, chain) VALUES (1, p_head_position, p_head_chain)
    ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, chain = EXCLUDED.chain;
    PERFORM pg_notify('lawha_events', p_head_position::text);
    RETURN 0;
END
$$;
