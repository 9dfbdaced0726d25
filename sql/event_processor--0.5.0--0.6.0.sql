-- event_processor 0.5.0 -> 0.6.0 (ALTER EXTENSION event_processor UPDATE).
-- Frozen once released: the install script of 0.6.0 must equal 0.5.0 plus this script;
-- pgrx-tests/upgrade.rs compares the catalogs of both.
--
-- Dense blocks (BENCHMARKS.md): the notification triggers become statement-level triggers over
-- the statement's transition table (same names, channels, payloads and order; one PL/pgSQL call
-- per statement instead of one per row), and the journal's arrays are compressed with lz4 where
-- the server has it. The state tables that are updated block after block get fillfactor 70
-- (HOT updates; pages written from now on). The journal's format does not change.

-- The row-level triggers go first: the functions' new bodies read the transition table.
DROP TRIGGER lp_update ON public."Liquidity_Providers";
DROP TRIGGER vault_update ON public."VaultStates";
DROP TRIGGER vault_insert_trigger ON public."VaultStates";
DROP TRIGGER or_update ON public."Option_Rounds";
DROP TRIGGER or_insert ON public."Option_Rounds";
DROP TRIGGER ob_update ON public."Option_Buyers";
DROP TRIGGER bids_insert_trigger ON public."Bids";
DROP TRIGGER bids_update_trigger ON public."Bids";

CREATE OR REPLACE FUNCTION event_processor.notify_wrapped() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify(
        TG_ARGV[0],
        pg_catalog.json_build_object('operation', pg_catalog.lower(TG_OP),
                                     'payload', pg_catalog.row_to_json(r))::text)
       FROM changed_rows r;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION event_processor.notify_bare() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify(TG_ARGV[0], pg_catalog.row_to_json(r)::text)
       FROM changed_rows r;
    RETURN NULL;
END
$$;

-- bids_update as the Pitch Lake backend parses it (spec §8-4): the row's keys in column order,
-- tree_nonce as a JSON string, plus "address" (= buyer_address), the key the backend routes
-- bids by. Its listener stops at the first payload it cannot parse, which the migration's
-- row_to_json (numeric tree_nonce, no "address") is. event_processor.bids_payload = 'migration'
-- sends row_to_json unchanged. The setting is read with missing_ok: a session that has not
-- loaded the library sees NULL (the default) or the raw text of a placeholder.
CREATE OR REPLACE FUNCTION event_processor.notify_bids() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    is_migration boolean := pg_catalog.lower(
        pg_catalog.current_setting('event_processor.bids_payload', true)) = 'migration';
BEGIN
    PERFORM pg_catalog.pg_notify(
        TG_ARGV[0],
        pg_catalog.json_build_object(
            'operation', pg_catalog.lower(TG_OP),
            'payload', CASE WHEN is_migration THEN pg_catalog.row_to_json(r)
                ELSE pg_catalog.json_build_object(
                    'buyer_address', r.buyer_address,
                    'round_address', r.round_address,
                    'bid_id', r.bid_id,
                    'tree_nonce', CAST(r.tree_nonce AS pg_catalog.text),
                    'amount', r.amount,
                    'price', r.price,
                    'address', r.buyer_address) END)::text)
       FROM changed_rows r;
    RETURN NULL;
END
$$;

CREATE TRIGGER lp_update AFTER UPDATE ON public."Liquidity_Providers" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_wrapped('lp_update');
CREATE TRIGGER vault_update AFTER UPDATE ON public."VaultStates" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_wrapped('vault_update');
CREATE TRIGGER vault_insert_trigger AFTER INSERT ON public."VaultStates" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_bare('vault_insert');
CREATE TRIGGER or_update AFTER UPDATE ON public."Option_Rounds" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_wrapped('or_update');
CREATE TRIGGER or_insert AFTER INSERT ON public."Option_Rounds" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_wrapped('or_update');
CREATE TRIGGER ob_update AFTER UPDATE ON public."Option_Buyers" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_wrapped('ob_update');
CREATE TRIGGER bids_insert_trigger AFTER INSERT ON public."Bids" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_bids('bids_update');
CREATE TRIGGER bids_update_trigger AFTER UPDATE ON public."Bids" REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION event_processor.notify_bids('bids_update');

-- The journal's arrays are compressed with lz4 where the server has it (Debian's and the
-- official images' builds do): pglz took a twentieth of a dense catch-up (BENCHMARKS.md).
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT pg_catalog.unnest(enumvals) FROM pg_catalog.pg_settings
                     WHERE name = 'default_toast_compression') THEN
        ALTER TABLE event_processor.journal ALTER COLUMN pk SET COMPRESSION lz4,
                                            ALTER COLUMN before SET COMPRESSION lz4;
    END IF;
END
$$;

-- The rows the processor updates block after block keep room on their page, so that an update
-- is HOT (heap-only: no new index entries, the old version pruned in place). Updates never
-- change an indexed column: the indexes hold keys only.
ALTER TABLE public."VaultStates" SET (fillfactor = 70);
ALTER TABLE public."Liquidity_Providers" SET (fillfactor = 70);
ALTER TABLE public."Option_Rounds" SET (fillfactor = 70);
ALTER TABLE public."Queued_Liquidity" SET (fillfactor = 70);
ALTER TABLE public."Option_Buyers" SET (fillfactor = 70);
ALTER TABLE public."Bids" SET (fillfactor = 70);
