-- event_processor.create_indexer_tables(): the indexer's input tables (spec §1.1–§1.4) for a
-- database that lacks them (tests, the demo, a fresh environment). Tables that already exist
-- are left untouched. Objects created here are NOT members of the extension, so
-- DROP EXTENSION never drops them: they belong to the indexer.

CREATE FUNCTION event_processor.create_indexer_tables(with_from_address boolean DEFAULT false)
RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    created text[] := '{}';
BEGIN
    IF pg_catalog.to_regclass('public.starknet_blocks') IS NULL THEN
        CREATE TABLE public.starknet_blocks (
            block_number numeric(78,0) NOT NULL PRIMARY KEY,
            block_hash   varchar(66) NOT NULL,
            parent_hash  varchar(66) NOT NULL,
            "timestamp"  numeric(78,0) NOT NULL,
            status       varchar(255) NOT NULL
        );
        CREATE INDEX starknet_blocks_block_number_idx ON public.starknet_blocks (block_number);
        CREATE INDEX starknet_blocks_parent_hash_idx ON public.starknet_blocks (parent_hash);
        created := created || 'starknet_blocks'::text;
    END IF;

    IF pg_catalog.to_regclass('public.events') IS NULL THEN
        CREATE TABLE public.events (
            event_nonce      bigint NOT NULL,
            block_number     numeric(78,0) NOT NULL,
            block_hash       varchar(66) NOT NULL,
            vault_address    varchar(255) NOT NULL,
            event_name       varchar(255) NOT NULL,
            event_keys       varchar(256)[] NOT NULL,
            event_data       varchar(256)[] NOT NULL,
            transaction_hash varchar(66) NOT NULL
        );
        CREATE INDEX events_block_number_idx ON public.events (block_number);
        CREATE INDEX events_event_name_idx ON public.events (event_name);
        CREATE INDEX events_vault_address_idx ON public.events (vault_address);
        CREATE INDEX events_transaction_hash_idx ON public.events (transaction_hash);
        created := created || 'events'::text;
    END IF;
    -- The recommended logger fix (spec §1.7 a): the canonical emitter of every event.
    IF with_from_address THEN
        ALTER TABLE public.events ADD COLUMN IF NOT EXISTS from_address varchar(66);
    END IF;

    IF pg_catalog.to_regclass('public.vault_registry') IS NULL THEN
        CREATE TABLE public.vault_registry (
            id                   serial PRIMARY KEY,
            vault_address        varchar(66) NOT NULL,
            deployed_at          varchar(66) NOT NULL,
            last_block_indexed   varchar(66),
            last_block_processed varchar(66)
        );
        created := created || 'vault_registry'::text;
    END IF;

    IF pg_catalog.to_regclass('public.driver_events') IS NULL THEN
        CREATE SEQUENCE IF NOT EXISTS public.driver_events_sequence;
        CREATE TABLE public.driver_events (
            id               serial PRIMARY KEY,
            sequence_index   bigint NOT NULL DEFAULT pg_catalog.nextval('public.driver_events_sequence'),
            type             varchar(50) NOT NULL,
            "timestamp"      timestamptz NOT NULL DEFAULT pg_catalog.now(),
            is_processed     boolean DEFAULT false,
            block_hash       varchar(66),
            start_block_hash varchar(66),
            end_block_hash   varchar(66),
            vault_address    varchar(66)
        );
        CREATE FUNCTION public.driver_event_notify() RETURNS trigger
        LANGUAGE plpgsql AS $t$
        BEGIN
            PERFORM pg_catalog.pg_notify('driver_events', pg_catalog.row_to_json(NEW)::text);
            RETURN NULL;
        END
        $t$;
        CREATE TRIGGER driver_event_notify_trigger AFTER INSERT ON public.driver_events
            FOR EACH ROW EXECUTE FUNCTION public.driver_event_notify();
        created := created || 'driver_events'::text;
    END IF;
    PERFORM event_processor.attach_block_triggers();
    RETURN created;
END
$fn$;

COMMENT ON FUNCTION event_processor.create_indexer_tables(boolean) IS
'Creates the indexer''s input tables (starknet_blocks, events, vault_registry, driver_events) '
'where missing, attaches the block trigger, and returns the names created. They are not '
'extension members: DROP EXTENSION keeps them.';
