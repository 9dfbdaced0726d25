#!/usr/bin/env bash
# `make bench`: figures for the processor on a synthetic chain (a benchmark, not a test).
# Builds and installs the release extension, starts a throw-away cluster, generates a seeded
# chain (src/synth via the synth-chain binary), loads it with the trigger path off, then:
#   - processes every block with process_block, one transaction per block;
#   - reverts the newest REVERT_BLOCKS blocks with revert_block, one transaction per block;
# and prints per-block costs and the revert/process ratio for the same blocks. Each block is its
# own top-level transaction (psql autocommit, as the indexer and the worker commit), timed
# inside the server (clock_timestamp around the call), so client round trips and COMMIT are
# excluded from both sides alike. (A single CALL that COMMITs in a loop would be wrong here:
# it keeps dead row versions of hot rows alive and slows down without bound.)
#
# Knobs: SEED (1), VAULTS (10), LPS (50), BIDDERS (20), BLOCKS (3000), EVENTS (12 max per
#        block), REVERT_BLOCKS (1000), PROFILE=1 (load pg_stat_statements, print the costliest
#        statements, nested ones included)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
SEED="${SEED:-1}" VAULTS="${VAULTS:-10}" LPS="${LPS:-50}" BIDDERS="${BIDDERS:-20}"
BLOCKS="${BLOCKS:-3000}" EVENTS="${EVENTS:-12}" REVERT_BLOCKS="${REVERT_BLOCKS:-1000}"

install_extension --release
if [ "${PROFILE:-0}" = 1 ]; then
  EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements, auto_explain'
pg_stat_statements.track = all
auto_explain.log_min_duration = '20ms'
auto_explain.log_nested_statements = on"
fi
start_cluster
CHAIN="$DIR/chain"
log "generating the chain (seed $SEED: $VAULTS vaults, $LPS LPs and $BIDDERS bidders each, $BLOCKS blocks)"
(cd "$CRATE_DIR" && cargo run --quiet --release --bin synth-chain -- "$CHAIN" "$SEED" "$VAULTS" "$LPS" "$BIDDERS" "$BLOCKS" "$EVENTS")
chmod -R a+rX "$CHAIN"

"${PSQL[@]}" <<SQL
$( [ "${PROFILE:-0}" = 1 ] && echo "CREATE EXTENSION pg_stat_statements;" )
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables(with_from_address => true);
SET event_processor.trigger_enabled = off;
\\copy starknet_blocks FROM '$CHAIN/blocks.tsv'
\\copy events FROM '$CHAIN/events.tsv'
ANALYZE;
CREATE SCHEMA bench;
CREATE TABLE bench.timing (block_number numeric, block_hash text, events int, phase text, seconds float8);
CREATE FUNCTION bench.process(hash text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); n int;
BEGIN
    n := event_processor.process_block(hash);
    INSERT INTO bench.timing SELECT block_number, hash, n, 'process', extract(epoch FROM clock_timestamp() - t0)
      FROM starknet_blocks WHERE block_hash = hash;
END \$\$;
CREATE FUNCTION bench.revert(hash text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); n int;
BEGIN
    n := event_processor.revert_block(hash);
    INSERT INTO bench.timing SELECT block_number, hash, n, 'revert', extract(epoch FROM clock_timestamp() - t0)
      FROM starknet_blocks WHERE block_hash = hash;
END \$\$;
SQL

log "processing every block (process_block, one transaction per block)"
{ echo "SET client_min_messages = error;"; cut -f2 "$CHAIN/blocks.tsv" | sed "s/.*/SELECT bench.process('&');/"; } > "$DIR/process.sql"
"${PSQL[@]}" -o /dev/null -f "$DIR/process.sql"
log "reverting the newest $REVERT_BLOCKS blocks (revert_block, one transaction per block)"
{ echo "SET client_min_messages = error;"; cut -f2 "$CHAIN/blocks.tsv" | tail -n "$REVERT_BLOCKS" | tac | sed "s/.*/SELECT bench.revert('&');/"; } > "$DIR/revert.sql"
"${PSQL[@]}" -o /dev/null -f "$DIR/revert.sql"

log "results ($(nproc) cores, $(date -u +%F), PostgreSQL $(as_pg "$PG_BIN/postgres" --version | awk '{print $3}'))"
"${PSQL[@]}" -P pager=off <<'SQL'
WITH p AS (SELECT * FROM bench.timing WHERE phase = 'process'),
     r AS (SELECT * FROM bench.timing WHERE phase = 'revert'),
     same AS (SELECT p.* FROM p JOIN r USING (block_hash))
SELECT 'process, all blocks' AS measure, count(*) AS blocks, sum(events) AS events,
       round(sum(seconds)::numeric, 3) AS seconds,
       round((1e6 * sum(seconds) / count(*))::numeric, 1) AS us_per_block,
       round((sum(events) / sum(seconds))::numeric) AS events_per_s
  FROM p
UNION ALL
SELECT 'process, the reverted blocks', count(*), sum(events), round(sum(seconds)::numeric, 3),
       round((1e6 * sum(seconds) / count(*))::numeric, 1), round((sum(events) / sum(seconds))::numeric)
  FROM same
UNION ALL
SELECT 'revert, same blocks', count(*), sum(events), round(sum(seconds)::numeric, 3),
       round((1e6 * sum(seconds) / count(*))::numeric, 1), round((sum(events) / sum(seconds))::numeric)
  FROM r;
SELECT round(((SELECT sum(seconds) FROM bench.timing WHERE phase = 'revert')
           / (SELECT sum(t.seconds) FROM bench.timing t
               WHERE t.phase = 'process'
                 AND t.block_hash IN (SELECT block_hash FROM bench.timing WHERE phase = 'revert')))::numeric, 3)
       AS revert_to_process_ratio;
SQL
if [ "${PROFILE:-0}" = 1 ]; then
  log "costliest statements (pg_stat_statements, nested included)"
  "${PSQL[@]}" -P pager=off -c "SELECT calls, round(total_exec_time::numeric) AS ms, round(mean_exec_time::numeric, 3) AS mean_ms,
         left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
    FROM pg_stat_statements WHERE query NOT LIKE '%bench.%' ORDER BY total_exec_time DESC LIMIT 12"
fi
