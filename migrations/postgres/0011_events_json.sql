-- An event's data and metadata are kept as the text the appender wrote: canonical JSON (sorted keys, no
-- whitespace, normalized numbers), the very bytes the audit chain covers. `json` checks that the text is JSON and
-- stores it as it is; `jsonb` parsed it into a tree on every append and turned it back into text on every read,
-- which cost the server more than the rest of writing an event (measured with `lawha bench jobs`). Ad-hoc queries
-- still have the JSON operators (`data->>'plan_id'`). Rows written before keep jsonb's rendering of their text;
-- the verifier canonicalizes what it reads, so their chain still holds.
ALTER TABLE events
    ALTER COLUMN data TYPE json USING data::json,
    ALTER COLUMN metadata TYPE json USING metadata::json;

-- lawha_append, unchanged but for checking the JSON as json instead of parsing it into jsonb.
CREATE OR REPLACE FUNCTION lawha_append(
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
    -- Checked as JSON before the lock is taken: the part of the work that needs no order.
    parsed_data      JSON[] := p_data::json[];
    parsed_metadata  JSON[] := p_metadata::json[];
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
