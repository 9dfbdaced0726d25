#!/usr/bin/env bash
# `make demo`: the worked example of spec §7 on a throw-away PostgreSQL 15 cluster.
#
# 1. builds and installs the extension into Debian's PostgreSQL 15;
# 2. starts a temporary cluster (as the `postgres` OS user, on a free port, trust auth on
#    127.0.0.1 only) in a fresh temporary directory;
# 3. creates a database, the extension and the indexer's tables;
# 4. inserts the worked example block by block the way the indexer does (one transaction per
#    block: its events, the block row, a StartBlock driver event);
# 5. prints what the extension made of it;
# 6. stops the cluster and deletes it, also on failure or Ctrl-C.
#
# Knobs: PG_MAJOR (15), PG_USER (postgres), KEEP_DEMO_CLUSTER=1 (leave it running and say how to
# connect; stop it with the printed pg_ctl command). Cluster handling: scripts/lib/cluster.sh.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/worked_example.sh"
KEEP_CLUSTER="${KEEP_DEMO_CLUSTER:-0}"

install_extension
start_cluster

log "CREATE EXTENSION event_processor; create the indexer's tables"
"${PSQL[@]}" <<'SQL'
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables(with_from_address => true) AS created_tables;
SQL

log "the indexer inserts the worked example (spec §7), one transaction per block;"
log "the extension applies each block inside that transaction, at its COMMIT"
worked_example_fixture_sql | "${PSQL[@]}"
printf '%-5s %-60s %-15s %-13s %-15s %-15s\n' block events vault round "LP 0xa1" "LP 0xb2"
printf '%-5s %-60s %-15s %-13s %-15s %-15s\n' "" "" "unl/lock/stash" "state" "unl/lock/stash" "unl/lock/stash"
for block in $(worked_example_blocks); do
  "${PSQL[@]}" -At -F ' ' <<SQL
$(worked_example_block_sql "$block")
SELECT format('%-5s %-60s %-15s %-13s %-15s %-15s', $block,
       (SELECT string_agg(event_name, ',' ORDER BY event_nonce) FROM events WHERE block_number = $block),
       (SELECT concat_ws('/', unlocked_balance, locked_balance, stashed_balance) FROM "VaultStates"),
       (SELECT state || ' r' || round_id FROM "Option_Rounds" r JOIN "VaultStates" v ON v.current_round_address = r.address),
       (SELECT concat_ws('/', unlocked_balance, locked_balance, stashed_balance) FROM "Liquidity_Providers" WHERE address = '0xa1'),
       (SELECT concat_ws('/', unlocked_balance, locked_balance, stashed_balance) FROM "Liquidity_Providers" WHERE address = '0xb2'));
SQL
done
"${PSQL[@]}" -c "SELECT (SELECT count(*) FROM starknet_blocks) AS blocks, (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_processor.applied_blocks) AS applied_blocks, (SELECT count(*) FROM event_processor.applied_events) AS applied_events"

log "process_block on a block that is already applied is a no-op"
"${PSQL[@]}" -c "SELECT event_processor.process_block(19::numeric) AS events_applied" 2>&1 | sed 's/^/    /'

log "some events as the processor decodes them (event_processor.decode_event, for debugging rows)"
"${PSQL[@]}" -P pager=off <<'SQL'
SELECT block_number AS block, event_nonce AS nonce,
       (event_processor.decode_event(event_name, event_keys, event_data))::text AS decoded
  FROM events
 WHERE event_name IN ('BidUpdated', 'AuctionEnded', 'WithdrawalQueued', 'OptionRoundSettled')
 ORDER BY block_number, event_nonce;
SQL

log "a block with a malformed event, failure_policy = defer (default): the indexer's COMMIT succeeds, the block waits"
"${PSQL[@]}" <<'SQL' 2>&1 | sed 's/^/    /'
BEGIN;
INSERT INTO starknet_blocks VALUES (25, '0xb25', '0xb24', 2330, 'MINED');
INSERT INTO events VALUES (21, 25, '0xb25', '0x7a11', 'Deposit',
    ARRAY['0x9149d2123147c5f43d258257fef0b7b969db78269369ebcf5ebb9eef8592f2', '0xa1'],
    ARRAY['0x140', '0xzz', '0x140', '0x0', '0x140', '0x0'], '0x726');
COMMIT;
SQL
"${PSQL[@]}" -P pager=off -c "SELECT block_number, block_hash, vault_address, event_nonce, field, sqlstate
                                 FROM event_processor.failed_blocks WHERE resolved IS NULL" | sed 's/^/    /'
log "the operator removes the bad event row and retries: the block applies, the halt is lifted"
"${PSQL[@]}" -P pager=off -c "DELETE FROM events WHERE block_hash = '0xb25'" \
  -c "SELECT * FROM event_processor.retry_block('0xb25')" | sed 's/^/    /'

log "the same with failure_policy = raise: the indexer's COMMIT fails, nothing of the block lands"
"${PSQL[@]}" <<'SQL' 2>&1 | sed 's/^/    /' || true
SET event_processor.failure_policy = raise;
BEGIN;
INSERT INTO starknet_blocks VALUES (26, '0xb26', '0xb25', 2340, 'MINED');
INSERT INTO events VALUES (22, 26, '0xb26', '0x7a11', 'Deposit',
    ARRAY['0x9149d2123147c5f43d258257fef0b7b969db78269369ebcf5ebb9eef8592f2', '0xa1'],
    ARRAY['0x140', '0xzz', '0x140', '0x0', '0x140', '0x0'], '0x726');
COMMIT;
SQL
"${PSQL[@]}" -At -c "SELECT 'blocks now: ' || count(*) FROM starknet_blocks" | sed 's/^/    /'

log "verify(): the state recomputed from the events equals the live tables (no differences)"
"${PSQL[@]}" -At -c "SELECT count(*) || ' differences' FROM event_processor.verify()" | sed 's/^/    /'

log "state tables after block 25 (drop-in compatible with the backend's readers)"
"${PSQL[@]}" -P pager=off <<'SQL'
SELECT address, unlocked_balance AS unlocked, locked_balance AS locked, stashed_balance AS stashed,
       current_round, current_round_address, latest_block FROM "VaultStates" ORDER BY address;
SELECT address, vault_address, unlocked_balance AS unlocked, locked_balance AS locked,
       stashed_balance AS stashed, latest_block FROM "Liquidity_Providers" ORDER BY address;
SELECT address, round_id, state, starting_liquidity, available_options, sold_options,
       clearing_price, premiums, unsold_liquidity, settlement_price, payout_per_option,
       remaining_liquidity FROM "Option_Rounds" ORDER BY vault_address, round_id;
SELECT address, round_address, mintable_options, refundable_amount, has_minted, has_refunded
  FROM "Option_Buyers" ORDER BY round_address, address;
SELECT round_address, bid_id, buyer_address, tree_nonce, amount, price FROM "Bids" ORDER BY bid_id;
SELECT address, round_address, bps, queued_liquidity FROM "Queued_Liquidity";
SELECT address, block_number, unlocked_balance AS unlocked, locked_balance AS locked,
       stashed_balance AS stashed FROM "Vault_Historic" ORDER BY block_number;
SQL
log "done; the cluster is removed on exit"
