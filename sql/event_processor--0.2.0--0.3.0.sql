-- event_processor 0.2.0 -> 0.3.0 (ALTER EXTENSION event_processor UPDATE).
-- Frozen once released: the install script of 0.3.0 must equal 0.2.0 plus this script;
-- pgrx-tests/upgrade.rs compares the catalogs of both.

-- bids_update as the Pitch Lake backend parses it (spec §8-4): the row's keys in column order,
-- tree_nonce as a JSON string, plus "address" (= buyer_address), the key the backend routes
-- bids by. Its listener stops at the first payload it cannot parse, which the migration's
-- row_to_json (numeric tree_nonce, no "address") is. event_processor.bids_payload = 'migration'
-- sends row_to_json unchanged. The setting is read with missing_ok: a session that has not
-- loaded the library sees NULL (the default) or the raw text of a placeholder.
CREATE FUNCTION event_processor.notify_bids() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    is_migration boolean := pg_catalog.lower(
        pg_catalog.current_setting('event_processor.bids_payload', true)) = 'migration';
BEGIN
    PERFORM pg_catalog.pg_notify(
        TG_ARGV[0],
        pg_catalog.json_build_object(
            'operation', pg_catalog.lower(TG_OP),
            'payload', CASE WHEN is_migration THEN pg_catalog.row_to_json(NEW)
                ELSE pg_catalog.json_build_object(
                    'buyer_address', NEW.buyer_address,
                    'round_address', NEW.round_address,
                    'bid_id', NEW.bid_id,
                    'tree_nonce', CAST(NEW.tree_nonce AS pg_catalog.text),
                    'amount', NEW.amount,
                    'price', NEW.price,
                    'address', NEW.buyer_address) END)::text);
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION event_processor.notify_bids() FROM PUBLIC;

DROP TRIGGER bids_insert_trigger ON public."Bids";
DROP TRIGGER bids_update_trigger ON public."Bids";
CREATE TRIGGER bids_insert_trigger AFTER INSERT ON public."Bids"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_bids('bids_update');
CREATE TRIGGER bids_update_trigger AFTER UPDATE ON public."Bids"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_bids('bids_update');

-- The prune watermark (processor/finality.rs): the prune reads only the heights above it.
ALTER TABLE event_processor.applied_blocks ADD COLUMN pruned_through numeric(78,0);

-- attach_block_triggers() indexes events.block_number where the indexer has no such index.
CREATE OR REPLACE FUNCTION event_processor.attach_block_triggers() RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF to_regclass('public.starknet_blocks') IS NULL THEN
        RETURN false;
    END IF;
    -- The processor finds blocks by hash; the indexer only indexes block_number and
    -- parent_hash, and a scan per block grows with the chain.
    CREATE INDEX IF NOT EXISTS event_processor_block_hash_idx ON public.starknet_blocks (block_hash);
    -- A block's events are found by height. The logger indexes events.block_number; without
    -- such an index every block would scan the events table.
    IF to_regclass('public.events') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = 'public.events'::regclass AND a.attname = 'block_number'
           AND i.indpred IS NULL) THEN
        CREATE INDEX event_processor_events_block_idx ON public.events (block_number);
    END IF;
    -- The driver queue is read in order among its pending rows only.
    IF to_regclass('public.driver_events') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS event_processor_driver_pending_idx
            ON public.driver_events (sequence_index, id) WHERE is_processed IS NOT TRUE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = 'public.starknet_blocks'::regclass
                      AND tgname = 'event_processor_block_inserted') THEN
        CREATE CONSTRAINT TRIGGER event_processor_block_inserted
            AFTER INSERT ON public.starknet_blocks
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.status = 'MINED')
            EXECUTE FUNCTION event_processor.on_block_inserted();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = 'public.starknet_blocks'::regclass
                      AND tgname = 'event_processor_block_remined') THEN
        CREATE CONSTRAINT TRIGGER event_processor_block_remined
            AFTER UPDATE ON public.starknet_blocks
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW WHEN (NEW.status = 'MINED'
                               AND (OLD.status <> 'MINED' OR OLD.block_hash <> NEW.block_hash))
            EXECUTE FUNCTION event_processor.on_block_inserted();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = 'public.starknet_blocks'::regclass
                      AND tgname = 'event_processor_block_reverted') THEN
        CREATE TRIGGER event_processor_block_reverted
            AFTER UPDATE ON public.starknet_blocks
            FOR EACH ROW WHEN (OLD.status = 'MINED'
                               AND (NEW.status <> 'MINED' OR NEW.block_hash <> OLD.block_hash))
            EXECUTE FUNCTION event_processor.on_block_left_chain();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                    WHERE tgrelid = 'public.starknet_blocks'::regclass
                      AND tgname = 'event_processor_block_deleted') THEN
        CREATE TRIGGER event_processor_block_deleted
            AFTER DELETE ON public.starknet_blocks
            FOR EACH ROW WHEN (OLD.status = 'MINED')
            EXECUTE FUNCTION event_processor.on_block_left_chain();
    END IF;
    RETURN true;
END
$$;

SELECT event_processor.attach_block_triggers();
