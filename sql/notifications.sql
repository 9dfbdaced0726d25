-- Notifications the backend listens to (spec §5.2). Payloads are row_to_json(NEW), wrapped as
-- {"operation": "insert"|"update", "payload": row} except vault_insert (bare row).
-- Channel and trigger names are the original migrations'; one function per payload shape
-- (the channel is the trigger argument) replaces the original per-table copies.
-- Snapshots ("Vault_Historic", "Liquidity_Providers_Historic") are written by the processor
-- itself, on INSERT and UPDATE, so that they can be journaled and reverted (spec R7, §4.2).

CREATE FUNCTION event_processor.notify_wrapped() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify(
        TG_ARGV[0],
        pg_catalog.json_build_object('operation', pg_catalog.lower(TG_OP),
                                     'payload', pg_catalog.row_to_json(NEW))::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION event_processor.notify_bare() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_notify(TG_ARGV[0], pg_catalog.row_to_json(NEW)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER lp_update AFTER UPDATE ON public."Liquidity_Providers"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('lp_update');
CREATE TRIGGER vault_update AFTER UPDATE ON public."VaultStates"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('vault_update');
CREATE TRIGGER vault_insert_trigger AFTER INSERT ON public."VaultStates"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_bare('vault_insert');
CREATE TRIGGER or_update AFTER UPDATE ON public."Option_Rounds"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('or_update');
CREATE TRIGGER or_insert AFTER INSERT ON public."Option_Rounds"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('or_update');
CREATE TRIGGER ob_update AFTER UPDATE ON public."Option_Buyers"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('ob_update');
CREATE TRIGGER bids_insert_trigger AFTER INSERT ON public."Bids"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('bids_update');
CREATE TRIGGER bids_update_trigger AFTER UPDATE ON public."Bids"
    FOR EACH ROW EXECUTE FUNCTION event_processor.notify_wrapped('bids_update');
