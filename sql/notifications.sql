-- Notifications the backend listens to (spec §5.2, §5.3; docs/notifications.md). Payloads are
-- row_to_json(NEW), wrapped as {"operation": "insert"|"update", "payload": row}, except
-- vault_insert (bare row) and bids_update (notify_bids below).
-- Channel and trigger names are the original migrations'; one function per payload shape
-- (the channel is the trigger argument) replaces the original per-table copies.
-- Statement-level triggers over the statement's transition table: one call per statement, not
-- one PL/pgSQL call per row, and the same payloads in the same order (the rows' order of
-- change). They fire for every writer of these tables, the processor and any other.
-- Snapshots ("Vault_Historic", "Liquidity_Providers_Historic") are written by the processor
-- itself, on INSERT and UPDATE, so that they can be journaled and reverted (spec R7, §4.2).

CREATE FUNCTION event_processor.notify_wrapped() RETURNS trigger
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

CREATE FUNCTION event_processor.notify_bare() RETURNS trigger
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
