-- Privileges (docs/operations.md "Roles and grants"). Runs last, over every routine of the schema.
--
-- * Routines that change state (processing, revert, retry/skip, the trigger entry points,
--   table set-up) are not executable by PUBLIC: only the extension's owner and roles it grants
--   them to. The indexer needs none of them: the block triggers are SECURITY DEFINER.
-- * status() and decode_event() stay executable by everyone.
-- * event_processor_reader (created if missing, NOLOGIN; roles are cluster-wide, so it
--   outlives DROP EXTENSION): reads the state tables, the bookkeeping and status().
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
