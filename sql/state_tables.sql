-- State tables read by the Pitch Lake backend (spec §5.1): exact quoted names, column order
-- (= row_to_json key order), types, defaults and keys of the original migrations.
-- They live in schema public because the readers query them unqualified.

-- The extension's own schema (functions, bookkeeping). Created here rather than through the
-- control file's `schema` so that it is an extension member and DROP EXTENSION removes it.
CREATE SCHEMA event_processor;

DO $guard$
DECLARE
    existing text;
BEGIN
    SELECT string_agg(format('%I', c.relname), ', ' ORDER BY c.relname) INTO existing
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'public'::regnamespace
       AND c.relname IN ('VaultStates', 'Liquidity_Providers', 'Liquidity_Providers_Historic',
                         'Vault_Historic', 'Option_Rounds', 'Queued_Liquidity',
                         'Option_Buyers', 'Bids');
    IF existing IS NOT NULL THEN
        RAISE EXCEPTION 'event_processor: state tables already exist in schema public: %', existing
            USING ERRCODE = 'duplicate_table',
                  HINT = 'They were probably created by the Go event processor''s migrations. '
                      || 'Rename or drop them; the extension creates its own and recomputes '
                      || 'the state from the events table.';
    END IF;
END
$guard$;

CREATE TABLE public."VaultStates" (
    unlocked_balance        numeric(78,0),
    locked_balance          numeric(78,0),
    current_round           numeric(78,0),
    current_round_address   varchar,
    stashed_balance         numeric(78,0),
    address                 varchar NOT NULL,
    latest_block            numeric(78,0),
    fossil_client_address   varchar,
    eth_address             varchar,
    option_round_class_hash varchar,
    alpha                   numeric(78,0),
    strike_level            numeric(78,0),
    round_transition_period numeric(78,0),
    auction_duration        numeric(78,0),
    round_duration          numeric(78,0),
    deployment_date         numeric(78,0),
    CONSTRAINT "VaultStates_pkey" PRIMARY KEY (address)
);

CREATE TABLE public."Liquidity_Providers" (
    address          varchar NOT NULL,
    vault_address    varchar NOT NULL,
    stashed_balance  numeric(78,0),
    locked_balance   numeric(78,0),
    unlocked_balance numeric(78,0),
    latest_block     numeric(78,0),
    CONSTRAINT "Liquidity_Providers_pkey" PRIMARY KEY (address, vault_address)
);
-- Auction start, end and settlement walk every LP of a vault.
CREATE INDEX "Liquidity_Providers_vault_idx" ON public."Liquidity_Providers" (vault_address, address);

CREATE TABLE public."Liquidity_Providers_Historic" (
    address          varchar NOT NULL,
    vault_address    varchar NOT NULL,
    stashed_balance  numeric(78,0),
    locked_balance   numeric(78,0),
    unlocked_balance numeric(78,0),
    block_number     numeric(78,0),
    CONSTRAINT "Liquidity_Providers_Historic_pkey" PRIMARY KEY (address, vault_address, block_number)
);

CREATE TABLE public."Vault_Historic" (
    unlocked_balance numeric(78,0),
    locked_balance   numeric(78,0),
    stashed_balance  numeric(78,0),
    address          varchar NOT NULL,
    block_number     numeric(78,0),
    CONSTRAINT "Vault_Historic_pkey" PRIMARY KEY (address, block_number)
);

CREATE TABLE public."Option_Rounds" (
    address             varchar NOT NULL,
    available_options   numeric(78,0) DEFAULT 0,
    clearing_price      numeric(78,0),
    settlement_price    numeric(78,0),
    reserve_price       numeric(78,0),
    strike_price        numeric(78,0),
    sold_options        numeric(78,0),
    deployment_date     numeric(78,0),
    state               varchar(10),
    premiums            numeric(78,0),
    vault_address       varchar,
    round_id            numeric(78,0),
    cap_level           numeric(78,0),
    unsold_liquidity    numeric(78,0),
    starting_liquidity  numeric(78,0),
    queued_liquidity    numeric(78,0),
    remaining_liquidity numeric(78,0),
    payout_per_option   numeric(78,0),
    start_date          numeric(78,0),
    end_date            numeric(78,0),
    settlement_date     numeric(78,0),
    CONSTRAINT "Option_Rounds_pkey" PRIMARY KEY (address)
);
-- The processor looks rounds up by (vault, round id) for WithdrawalQueued; readers by vault.
CREATE INDEX "Option_Rounds_vault_round_idx" ON public."Option_Rounds" (vault_address, round_id);

CREATE TABLE public."Queued_Liquidity" (
    address          varchar NOT NULL,
    queued_liquidity numeric(78,0) NOT NULL,
    bps              numeric(78,0) NOT NULL,
    round_address    varchar,
    CONSTRAINT lp_round_address PRIMARY KEY (address, round_address)
);
-- Settlement reads a round's queued liquidity.
CREATE INDEX "Queued_Liquidity_round_idx" ON public."Queued_Liquidity" (round_address);
ALTER TABLE public."Queued_Liquidity"
    ADD CONSTRAINT "Queued_Liquidity_round_address_fkey" FOREIGN KEY (round_address)
        REFERENCES public."Option_Rounds" (address) NOT VALID;

CREATE TABLE public."Option_Buyers" (
    address           varchar NOT NULL,
    round_address     varchar NOT NULL,
    has_minted        boolean NOT NULL DEFAULT false,
    has_refunded      boolean NOT NULL DEFAULT false,
    mintable_options  numeric(78,0),
    refundable_amount numeric(78,0),
    CONSTRAINT buyer_round PRIMARY KEY (address, round_address)
);
-- Auction end writes every buyer of a round.
CREATE INDEX "Option_Buyers_round_idx" ON public."Option_Buyers" (round_address, address);

CREATE TABLE public."Bids" (
    buyer_address varchar,
    round_address varchar,
    bid_id        varchar,
    tree_nonce    numeric,
    amount        numeric,
    price         numeric,
    CONSTRAINT round_address_bid_id PRIMARY KEY (round_address, bid_id)
);

-- Extension member tables are skipped by pg_dump unless registered: keep the state in backups.
SELECT pg_catalog.pg_extension_config_dump('public."VaultStates"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Liquidity_Providers"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Liquidity_Providers_Historic"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Vault_Historic"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Option_Rounds"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Queued_Liquidity"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Option_Buyers"', '');
SELECT pg_catalog.pg_extension_config_dump('public."Bids"', '');

-- The rows the processor updates block after block keep room on their page, so that an update
-- is HOT (heap-only: no new index entries, the old version pruned in place). Updates never
-- change an indexed column: the indexes hold keys only.
ALTER TABLE public."VaultStates" SET (fillfactor = 70);
ALTER TABLE public."Liquidity_Providers" SET (fillfactor = 70);
ALTER TABLE public."Option_Rounds" SET (fillfactor = 70);
ALTER TABLE public."Queued_Liquidity" SET (fillfactor = 70);
ALTER TABLE public."Option_Buyers" SET (fillfactor = 70);
ALTER TABLE public."Bids" SET (fillfactor = 70);
