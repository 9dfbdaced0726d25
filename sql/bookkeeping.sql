-- The extension's own bookkeeping (schema event_processor; not read by consumers).
-- Shapes for the processing and revert issues: the ledger of applied blocks and events, the
-- journal of before-images, and the per-round LP deposits that settlement needs (spec §3.1).

-- One row per applied block: the processor's position on the chain. journal_pruned: the
-- block is deeper than event_processor.finality_depth and its journal is gone (no revert), or
-- it was applied that deep (a catch-up of old history) and never had one.
CREATE TABLE event_processor.applied_blocks (
    block_hash     varchar(66) PRIMARY KEY,
    block_number   numeric(78,0) NOT NULL,
    parent_hash    varchar(66),
    event_count    integer NOT NULL DEFAULT 0,
    applied_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    journal_pruned boolean NOT NULL DEFAULT false,
    -- skip_block(): passed over by an operator, none of its events applied.
    skipped        boolean NOT NULL DEFAULT false,
    -- The prune watermark after this block: every applied block up to this height has had
    -- its journal pruned (processor/finality.rs). NULL: unknown (the next prune starts low).
    pruned_through numeric(78,0)
);
CREATE INDEX applied_blocks_number_idx ON event_processor.applied_blocks (block_number);
CREATE INDEX applied_blocks_unpruned_idx ON event_processor.applied_blocks (block_number)
    WHERE NOT journal_pruned;

-- One row per applied event, in application order: makes re-application a no-op (spec §4.2).
-- content_hash (keccak of transaction, name, keys, data) makes a second row of the same
-- on-chain event in the same block a no-op too (the logger's duplicates, spec §8-11).
CREATE TABLE event_processor.applied_events (
    apply_seq     bigserial PRIMARY KEY,
    block_hash    varchar(66) NOT NULL,
    vault_address varchar(255) NOT NULL,
    event_nonce   bigint NOT NULL,
    event_name    varchar(255) NOT NULL,
    content_hash  text NOT NULL,
    CONSTRAINT applied_events_identity UNIQUE (block_hash, vault_address, event_nonce),
    CONSTRAINT applied_events_content UNIQUE (block_hash, vault_address, content_hash)
);

-- Before-images of every state row a block touched (spec §4.2), replayed newest-first (seq
-- DESC) by revert_block. One row undoes a JSON array of one table's rows of one block, told
-- apart by `before` (protocol/journal.rs): NULL, the rows the block created, whose keys pk
-- holds (revert deletes them); else the images, as to_jsonb text, of the rows it changed (revert
-- puts them back), and pk is '[]'. A row journaled twice for one block (a vault catch-up, then
-- the block) is harmless: the older image is restored last. Text, not jsonb, and no unique
-- key: written in bulk on every batch, read only on revert (which casts).
CREATE TABLE event_processor.journal (
    seq        bigserial PRIMARY KEY,
    block_hash varchar(66) NOT NULL,
    table_name text NOT NULL,
    pk         text NOT NULL,
    before     text
);
CREATE INDEX journal_block_idx ON event_processor.journal (block_hash);

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

-- D(a): LP a's unlocked balance locked at the auction start of a round (spec §3.1, §3.3).
CREATE TABLE event_processor.lp_round_deposits (
    round_address    varchar NOT NULL,
    lp_address       varchar NOT NULL,
    vault_address    varchar NOT NULL,
    starting_deposit numeric(78,0) NOT NULL,
    PRIMARY KEY (round_address, lp_address)
);

-- Blocks that failed under the `defer` failure policy or in the worker (block, vault, event
-- nonce, field, error). An open row (resolved IS NULL) halts processing at that block: later
-- blocks wait until retry_block() applies it or skip_block() passes over it. Resolved rows
-- stay as the record of what happened.
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
SELECT pg_catalog.pg_extension_config_dump('event_processor.applied_blocks', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.applied_events', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.applied_events_apply_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.journal', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.journal_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('event_processor.lp_round_deposits', '');

-- The background worker's state (one row), written by the worker; see status().
CREATE TABLE event_processor.worker_status (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pid             integer,
    state           text NOT NULL DEFAULT 'not started',
    started_at      timestamptz,
    last_wakeup     timestamptz,
    blocks_applied  bigint NOT NULL DEFAULT 0,
    events_applied  bigint NOT NULL DEFAULT 0,
    blocks_reverted bigint NOT NULL DEFAULT 0,
    events_reverted bigint NOT NULL DEFAULT 0,
    last_error      text,
    last_error_at   text,
    last_error_time timestamptz
);
INSERT INTO event_processor.worker_status DEFAULT VALUES;
