-- The trigger path (process a block inside the indexer's transaction) and the driver-event
-- procedure.

-- Fires at the indexer's COMMIT (deferred), so the block's events are visible whether they
-- were inserted before or after the block row. event_processor.trigger_enabled = off leaves
-- the block for process_block() or the background worker.
-- SECURITY DEFINER: an indexer running as a role without rights on the state tables still
-- processes its blocks; the function does nothing but apply or revert the block at hand.
CREATE FUNCTION event_processor.on_block_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM event_processor.process_block_from_trigger(NEW.block_hash::text);
    RETURN NULL;
END
$$;

-- A block left the canonical chain: its status became REVERTED, its row was deleted, or its
-- row was updated to another hash (an indexer that keeps block_number as the primary key
-- re-uses the row for the replacement block). Reverted at once, newest block first.
CREATE FUNCTION event_processor.on_block_left_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM event_processor.revert_block_from_trigger(OLD.block_hash::text);
    RETURN NULL;
END
$$;

-- Attaches the block triggers to public.starknet_blocks if that table exists and lacks them:
--   event_processor_block_inserted  INSERT of a MINED row: process it at COMMIT (deferred)
--   event_processor_block_remined   UPDATE to MINED or to a new hash: process it at COMMIT
--   event_processor_block_reverted  UPDATE from MINED to another status or hash: revert now
--   event_processor_block_deleted   DELETE of a MINED row: revert now
-- Runs at CREATE EXTENSION and from create_indexer_tables(); call it yourself if the indexer
-- creates its tables after the extension. Returns whether the triggers are in place.
CREATE FUNCTION event_processor.attach_block_triggers() RETURNS boolean
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

-- Consumes driver_events in order, one transaction per driver event (spec §1.4, §3.4).
-- Must be CALLed outside an explicit transaction block (it COMMITs). A failing driver event
-- raises its error; it stays unprocessed and the ones before it are committed.
CREATE PROCEDURE event_processor.process_driver_events(max_events integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    done integer := 0;
    outcome text;
BEGIN
    LOOP
        EXIT WHEN max_events IS NOT NULL AND done >= max_events;
        outcome := event_processor.process_next_driver_event();
        EXIT WHEN outcome IS NULL;
        RAISE NOTICE 'event_processor: %', outcome;
        done := done + 1;
        COMMIT;
    END LOOP;
END
$$;
