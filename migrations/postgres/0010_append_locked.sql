-- The locked path of an append in two round trips, with one client turn inside the lock. While several processes
-- append at once, a batch decided ahead of the lock (lawha_append) mostly finds the head moved; the appender then
-- takes the lock first. Before, that was BEGIN and the lock, a read, the write and COMMIT: three client turns while
-- every other appender waited. Now:
--   1. lawha_batch_state(…, true) takes the append lock at session level (it outlives the statement) and reads the
--      head, the versions of the batch's streams and the batch's ids already stored, in a statement after the lock
--      with a snapshot of its own, so every append committed before ours is seen (the pipeline reads the same state
--      without the lock, `false`, before deciding a batch ahead of the lock);
--   2. the client decides the batch on that state and CALLs lawha_append_unlock, which writes it through
--      lawha_append (the head cannot have moved: the lock is held), commits, and only then releases the lock, so
--      the next appender reads a head that includes this batch (invariant 5).
-- A client that fails between the two closes its connection, which releases the lock.

CREATE FUNCTION lawha_batch_state(p_streams TEXT[], p_ids UUID[], p_lock BOOLEAN)
RETURNS TABLE (kind TEXT, stream_id TEXT, version BIGINT, event_id UUID, "position" BIGINT, chain BYTEA)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    -- "lawha" in ASCII: the key lawha_append takes at transaction level; the two levels exclude each other
    -- across sessions, and the same session may hold both.
    IF p_lock THEN
        PERFORM pg_advisory_lock(465491683425);
    END IF;
    -- One statement, so one snapshot: a consistent state of the log at the head it reports. One unique-index probe per stream and per id (a LATERAL subquery with LIMIT is never turned into a join):
    -- with `= ANY(array)` the planner, without statistics, took a sequential scan of streams for large batches.
    RETURN QUERY
        SELECT 'h'::text, NULL::text, NULL::bigint, NULL::uuid, h.position, h.chain FROM chain_head h WHERE h.id = 1
        UNION ALL SELECT 's', st.stream_id, st.version, NULL, NULL, NULL
                  FROM unnest(p_streams) AS a(id)
                  CROSS JOIN LATERAL (SELECT s.stream_id, s.version FROM streams s WHERE s.stream_id = a.id LIMIT 1) st
        UNION ALL SELECT 'e', e.stream_id, e.stream_version, e.event_id, e.position, NULL
                  FROM unnest(p_ids) AS n(id)
                  CROSS JOIN LATERAL (SELECT x.stream_id, x.stream_version, x.event_id, x.position FROM events x
                                      WHERE x.event_id = n.id LIMIT 1) e;
END
$$;

CREATE PROCEDURE lawha_append_unlock(
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
)
LANGUAGE plpgsql
AS $$
DECLARE
    answer SMALLINT;
BEGIN
    answer := lawha_append(p_expected_position, p_expected_chain, p_assumed_streams, p_assumed_versions,
                           p_positions, p_event_ids, p_streams, p_categories, p_versions, p_types,
                           p_schema_versions, p_data, p_metadata, p_recorded_at, p_chains, p_touched,
                           p_touched_categories, p_touched_versions, p_head_position, p_head_chain);
    IF answer <> 0 THEN
        -- Impossible while the lock is held; refusing beats writing a fork of the chain.
        RAISE EXCEPTION 'lawha_append answered % while the append lock was held', answer;
    END IF;
    COMMIT;
    PERFORM pg_advisory_unlock(465491683425);
END
$$;
