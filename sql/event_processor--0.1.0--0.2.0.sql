-- event_processor 0.1.0 -> 0.2.0 (ALTER EXTENSION event_processor UPDATE).
-- Frozen once released: the install script of 0.2.0 (generated from sql/*.sql and the
-- #[pg_extern] functions) must equal 0.1.0 plus this script; pgrx-tests/upgrade.rs compares the
-- catalogs of both.

-- skip_block(): blocks passed over by an operator.
ALTER TABLE event_processor.applied_blocks
    ADD COLUMN skipped boolean NOT NULL DEFAULT false;

-- The journal as text, grouped per block and table (older entries, one row each, stay valid:
-- revert reads both shapes), without the unique key over jsonb.
ALTER TABLE event_processor.journal DROP CONSTRAINT journal_first_touch;
ALTER TABLE event_processor.journal
    ALTER COLUMN pk TYPE text USING pk::text,
    ALTER COLUMN before TYPE text USING before::text;
CREATE INDEX journal_block_idx ON event_processor.journal (block_hash);

-- The failure policy.
CREATE TABLE event_processor.failed_blocks (
    id            bigserial PRIMARY KEY,
    block_hash    varchar(66) NOT NULL,
    block_number  numeric(78,0),
    vault_address varchar(255),
    event_nonce   bigint,
    field         text,
    sqlstate      char(5) NOT NULL,
    error         text NOT NULL,
    found_by      text NOT NULL,
    failed_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    resolved      text CHECK (resolved IN ('retried', 'skipped', 'left the chain')),
    resolved_at   timestamptz
);
-- At most one open failure: the halt.
CREATE UNIQUE INDEX failed_blocks_open_idx ON event_processor.failed_blocks ((true))
    WHERE resolved IS NULL;

SELECT pg_catalog.pg_extension_config_dump('event_processor.failed_blocks', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.failed_blocks_id_seq', '');

-- New functions.
CREATE  FUNCTION event_processor."process_pending"(
	"max_blocks" bigint DEFAULT 1000 /* i64 */
) RETURNS TABLE (
	"blocks_applied" bigint,  /* i64 */
	"events_applied" bigint  /* i64 */
)
STRICT 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'process_pending_wrapper';

CREATE  FUNCTION event_processor."retry_block"(
	"block_hash" TEXT /* & str */
) RETURNS TABLE (
	"blocks_applied" bigint,  /* i64 */
	"events_applied" bigint  /* i64 */
)
STRICT 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'retry_block_wrapper';

CREATE  FUNCTION event_processor."skip_block"(
	"block_hash" TEXT /* & str */
) RETURNS TABLE (
	"blocks_applied" bigint,  /* i64 */
	"events_applied" bigint  /* i64 */
)
STRICT 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'skip_block_wrapper';

CREATE  FUNCTION event_processor."verify"() RETURNS TABLE (
	"table_name" TEXT,  /* String */
	"row_key" TEXT,  /* String */
	"column_name" TEXT,  /* Option < String > */
	"live_value" TEXT,  /* Option < String > */
	"expected_value" TEXT  /* Option < String > */
)
STRICT 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'verify_wrapper';

CREATE  FUNCTION event_processor."rebuild"() RETURNS TABLE (
	"blocks_applied" bigint,  /* i64 */
	"events_applied" bigint,  /* i64 */
	"blocks_skipped" bigint,  /* i64 */
	"blocks_dropped" bigint  /* i64 */
)
STRICT 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'rebuild_wrapper';

-- The block triggers: SECURITY DEFINER with a pinned search_path.
CREATE OR REPLACE FUNCTION event_processor.on_block_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM event_processor.process_block_from_trigger(NEW.block_hash::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION event_processor.on_block_left_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM event_processor.revert_block_from_trigger(OLD.block_hash::text);
    RETURN NULL;
END
$$;

-- status() gained columns (the halt, rebuild progress) and SECURITY DEFINER: dropped and
-- created again with the metrics view that reads it.
DROP VIEW event_processor.metrics;
DROP FUNCTION event_processor.status();
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
    OUT rebuild_progress text)
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
    -- The row outlives the process: trust it only while that process is the worker.
    IF NOT EXISTS (SELECT 1 FROM pg_stat_activity s
                    WHERE s.pid = worker_pid AND s.backend_type = 'event_processor worker') THEN
        worker_pid := NULL;
        worker_state := 'not running';
    END IF;
END
$$;

COMMENT ON FUNCTION event_processor.status() IS
'Newest indexed and applied blocks, blocks behind, the background worker''s pid, state, counters since it started, its last error, and the failed block processing is halted at (if any).';

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
       (SELECT count(*) FROM event_processor.journal) AS journal_rows
  FROM event_processor.status() s;

-- Privileges, as a fresh install sets them.
DO $privileges$
DECLARE
    routine regprocedure;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'event_processor'::regnamespace
           AND p.proname NOT IN ('status', 'decode_event')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', routine);
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'event_processor_reader') THEN
        CREATE ROLE event_processor_reader NOLOGIN;
    END IF;
END
$privileges$;

GRANT USAGE ON SCHEMA event_processor TO PUBLIC;
GRANT SELECT ON public."VaultStates", public."Liquidity_Providers",
    public."Liquidity_Providers_Historic", public."Vault_Historic", public."Option_Rounds",
    public."Queued_Liquidity", public."Option_Buyers", public."Bids"
    TO event_processor_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA event_processor TO event_processor_reader;
