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
