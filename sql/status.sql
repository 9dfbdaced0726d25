-- status() and the metrics view: what an operator (or a Prometheus exporter's custom query)
-- needs to see whether the processor keeps up. Cheap: index lookups only, and the worker's
-- wake-up slot in shared memory (event_processor.wake_state(), worker/wake.rs).

CREATE FUNCTION event_processor.status(
    OUT newest_indexed_block numeric,
    OUT newest_applied_block numeric,
    OUT blocks_behind bigint,
    OUT worker_pid integer,
    OUT worker_state text,
    OUT worker_started_at timestamptz,
    OUT worker_last_wakeup timestamptz,
    OUT blocks_applied bigint,
    OUT events_applied bigint,
    OUT blocks_reverted bigint,
    OUT events_reverted bigint,
    OUT last_error text,
    OUT last_error_at text,
    OUT last_error_time timestamptz,
    OUT halted_at_block numeric,
    OUT halted_block_hash text,
    OUT halt_error text,
    OUT rebuild_progress text,
    OUT lag_ms double precision,
    OUT last_reaction_ms double precision,
    OUT wake_requests bigint)
LANGUAGE plpgsql STABLE
-- SECURITY DEFINER: readers (event_processor_reader, monitoring) see the indexer's progress
-- without rights on its tables; the function only counts and reads the worker's row.
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT max(a.block_number) INTO newest_applied_block FROM event_processor.applied_blocks a;
    IF to_regclass('public.starknet_blocks') IS NOT NULL THEN
        EXECUTE 'SELECT max(block_number) FROM public.starknet_blocks WHERE status = ''MINED'''
           INTO newest_indexed_block;
        EXECUTE 'SELECT count(*) FROM public.starknet_blocks
                  WHERE status = ''MINED'' AND block_number > coalesce($1, -1)'
           INTO blocks_behind USING newest_applied_block;
    END IF;
    SELECT w.pid, w.state, w.started_at, w.last_wakeup, w.blocks_applied, w.events_applied,
           w.blocks_reverted, w.events_reverted, w.last_error, w.last_error_at, w.last_error_time
      INTO worker_pid, worker_state, worker_started_at, worker_last_wakeup, blocks_applied,
           events_applied, blocks_reverted, events_reverted, last_error, last_error_at,
           last_error_time
      FROM event_processor.worker_status w;
    SELECT f.block_number, f.block_hash::text, f.error
      INTO halted_at_block, halted_block_hash, halt_error
      FROM event_processor.failed_blocks f WHERE f.resolved IS NULL;
    SELECT a.query INTO rebuild_progress FROM pg_stat_activity a
     WHERE a.state = 'active' AND a.query LIKE 'event_processor.rebuild(): %' LIMIT 1;
    -- The lag in time: since the oldest COMMIT that asked the worker for a pass no pass has
    -- finished (NULL while blocks are behind that no COMMIT asked for: inline leftovers, or
    -- no preloaded library); the last reaction: from such a COMMIT to the end of its pass.
    SELECT w.wake_requests, w.last_reaction_ms,
           CASE WHEN w.oldest_commit_age_ms IS NOT NULL THEN w.oldest_commit_age_ms
                WHEN coalesce(blocks_behind, 0) = 0 THEN 0 END,
           -- An idle worker wakes without writing its row.
           greatest(worker_last_wakeup, now() - make_interval(secs => w.seconds_since_active))
      INTO wake_requests, last_reaction_ms, lag_ms, worker_last_wakeup
      FROM event_processor.wake_state() w;
    -- The row outlives the process: trust it only while that process is the worker.
    IF NOT EXISTS (SELECT 1 FROM pg_stat_activity s
                    WHERE s.pid = worker_pid AND s.backend_type = 'event_processor worker') THEN
        worker_pid := NULL;
        worker_state := 'not running';
    END IF;
END
$$;

COMMENT ON FUNCTION event_processor.status() IS
'Newest indexed and applied blocks, blocks behind, the background worker''s pid, state, counters since it started, its last error, the failed block processing is halted at (if any), the lag in milliseconds since the oldest pending COMMIT, the last reaction latency, and the wake-ups asked for.';

-- One row of numbers, for a Prometheus exporter's custom queries (gauges and counters).
CREATE VIEW event_processor.metrics AS
SELECT coalesce(s.newest_indexed_block, 0) AS newest_indexed_block,
       coalesce(s.newest_applied_block, 0) AS newest_applied_block,
       coalesce(s.blocks_behind, 0) AS blocks_behind,
       (s.worker_pid IS NOT NULL)::int AS worker_up,
       (s.worker_state = 'error')::int AS worker_in_error,
       (s.halted_block_hash IS NOT NULL)::int AS halted,
       s.blocks_applied AS blocks_applied_total,
       s.events_applied AS events_applied_total,
       s.blocks_reverted AS blocks_reverted_total,
       s.events_reverted AS events_reverted_total,
       coalesce(extract(epoch FROM now() - s.worker_last_wakeup), -1) AS seconds_since_worker_wakeup,
       (SELECT count(*) FROM event_processor.journal) AS journal_rows,
       coalesce(s.lag_ms, -1) AS lag_ms,
       coalesce(s.last_reaction_ms, -1) AS last_reaction_ms,
       coalesce(s.wake_requests, 0) AS wake_requests_total
  FROM event_processor.status() s;
