#!/usr/bin/env bash
# The background worker under crashes, on a cluster of its own (a hard kill resets every
# connection of a server, so this cannot share the test harness's cluster):
#   1. a synthetic chain is inserted with the trigger path off; the worker catches up;
#   2. after 300 blocks its process is killed with SIGKILL (the postmaster resets the server);
#   3. after 800 blocks the whole server is stopped hard (pg_ctl -m immediate) and started;
#   4. the worker finishes; every state table must equal a second database where the same
#      chain was processed by hand, and every event must have been applied exactly once;
#   5, 6. faults during revert and processing outside the worker (below).
# Exit status 0 on success. Part of `make test`.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
BLOCKS="${BLOCKS:-1500}"
EXTRA_CONF="shared_preload_libraries = 'event_processor'
event_processor.worker_database = 'demo'
event_processor.worker_naptime = 100
event_processor.worker_max_blocks = 50"

install_extension
start_cluster
CHAIN="$DIR/chain"
(cd "$CRATE_DIR" && cargo run --quiet -p event_processor_synth --bin synth-chain -- "$CHAIN" 5 4 20 10 "$BLOCKS" 10 2>/dev/null)
chmod -R a+rX "$CHAIN"

fail() { echo "worker-crash-test: FAILED: $*" >&2; exit 1; }
q() { "${PSQL[@]}" -At -c "$1"; }
wait_until() { # SQL returning true, seconds, what
  local deadline=$((SECONDS + $2))
  until [ "$(q "$1" 2>/dev/null || true)" = t ]; do
    [ $SECONDS -lt $deadline ] || fail "$3 (timed out)"
    sleep 0.2
  done
}
applied="SELECT count(*) FROM event_processor.applied_blocks"

"${PSQL[@]}" -d postgres -c "CREATE DATABASE byhand"
for db in demo byhand; do
  "${PSQL[@]}" -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables(with_from_address => true);
ALTER DATABASE $db SET event_processor.trigger_enabled = off;
SQL
done

log "inserting $BLOCKS blocks with the trigger path off; the worker catches up"
"${PSQL[@]}" -1 -c "\\copy starknet_blocks FROM '$CHAIN/blocks.tsv'" -c "\\copy events FROM '$CHAIN/events.tsv'"
wait_until "SELECT ($applied) >= 300" 120 "the worker applied 300 blocks"
pid="$(q "SELECT worker_pid FROM event_processor.status()")"
[ -n "$pid" ] || fail "no worker pid"
log "SIGKILL to the worker (pid $pid) after $(q "$applied") blocks"
kill -9 "$pid"
wait_until "SELECT ($applied) >= 800" 180 "the restarted worker applied 800 blocks"
log "server stopped hard (pg_ctl -m immediate) after $(q "$applied") blocks, then started"
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
wait_until "SELECT blocks_behind = 0 FROM event_processor.status()" 300 "the worker finished"

log "processing the same chain by hand in a second database"
"${PSQL[@]}" -1 -d byhand -c "\\copy starknet_blocks FROM '$CHAIN/blocks.tsv'" -c "\\copy events FROM '$CHAIN/events.tsv'"
{ echo "SET client_min_messages = warning;"; cut -f2 "$CHAIN/blocks.tsv" | sed "s/.*/SELECT event_processor.process_block('&');/"; } > "$DIR/byhand.sql"
"${PSQL[@]}" -d byhand -q -o /dev/null -f "$DIR/byhand.sql"

digest() { # every state table, every row, every column
  "${PSQL[@]}" -d "$1" -At -c "SELECT string_agg(t, ' ' ORDER BY t) FROM (
      SELECT 'VaultStates:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"VaultStates\" x
      UNION ALL SELECT 'LP:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Liquidity_Providers\" x
      UNION ALL SELECT 'LPH:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Liquidity_Providers_Historic\" x
      UNION ALL SELECT 'VH:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Vault_Historic\" x
      UNION ALL SELECT 'Rounds:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Option_Rounds\" x
      UNION ALL SELECT 'Queued:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Queued_Liquidity\" x
      UNION ALL SELECT 'Buyers:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Option_Buyers\" x
      UNION ALL SELECT 'Bids:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.\"Bids\" x
      UNION ALL SELECT 'Deposits:' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM event_processor.lp_round_deposits x
    ) s(t)"
}
worker_digest="$(digest demo)"
hand_digest="$(digest byhand)"
[ "$worker_digest" = "$hand_digest" ] || fail "state differs: worker $worker_digest vs by hand $hand_digest"
events="$(q "SELECT count(*) FROM events")"
applied_events="$(q "SELECT count(*) FROM event_processor.applied_events")"
[ "$events" = "$applied_events" ] || fail "$applied_events of $events events applied"
blocks_applied="$(q "$applied")"
[ "$blocks_applied" = "$BLOCKS" ] || fail "$blocks_applied of $BLOCKS blocks applied"
restarts="$(grep -c 'event_processor worker started' "$DIR/server.log" || true)"
log "worker-crash-test: OK: $BLOCKS blocks, $events events, each applied once, state equal to processing by hand; the worker started $restarts times in the log"

# ---------------------------------------------------------------------------------------------
# Faults during revert and processing (not only in the worker):
#   5. a backend running revert_to() over 1,400 blocks is killed (SIGKILL): the server resets,
#      and the state is still every block applied (the revert was one transaction);
#   6. with the worker paused, revert_to() runs to the end (compared with the same revert by
#      hand); the worker is resumed and, while it re-applies the blocks, the postmaster itself
#      is killed (SIGKILL); after a restart the worker finishes and the state equals
#      processing by hand again.
keep="$((BLOCKS - 1400))"
first="$(head -1 "$CHAIN/blocks.tsv" | cut -f1)"
to="$((first + keep - 1))"
server_ready() { # waits for the server to accept connections again
  local deadline=$((SECONDS + 120))
  until "${PSQL[@]}" -Atc "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "the server did not come back"
    sleep 0.3
  done
}
compare() { # what
  [ "$(digest demo)" = "$(digest byhand)" ] || fail "state differs $1"
  [ "$(q "$applied")" = "$("${PSQL[@]}" -d byhand -Atc "$applied")" ] || fail "applied blocks differ $1"
}

log "SIGKILL to a backend in the middle of revert_to($to) (1,400 blocks)"
"${PSQL[@]}" -c "SET client_min_messages = warning; SELECT event_processor.revert_to($to)" >/dev/null 2>&1 &
reverter=$!
wait_until "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%revert_to($to)%'
             AND state = 'active' AND now() - query_start > interval '300 ms')" 30 "the revert started"
victim="$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%revert_to($to)%' AND state = 'active' AND pid <> pg_backend_pid()")"
kill -9 "$victim"
wait "$reverter" || true
server_ready
[ "$(q "$applied")" = "$BLOCKS" ] || fail "after the killed revert: $(q "$applied") of $BLOCKS blocks applied"
compare "after the killed revert"
log "after the killed revert: all $BLOCKS blocks still applied, state equal to processing by hand"

log "revert_to($to) with the worker paused; the same by hand"
"${PSQL[@]}" -q -c "ALTER SYSTEM SET event_processor.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
"${PSQL[@]}" -q -o /dev/null -c "SET client_min_messages = warning" -c "SELECT event_processor.revert_to($to)"
"${PSQL[@]}" -d byhand -q -o /dev/null -c "SET client_min_messages = warning" -c "SELECT event_processor.revert_to($to)"
[ "$(q "$applied")" = "$keep" ] || fail "revert_to left $(q "$applied") blocks, expected $keep"
compare "after revert_to($to)"

log "worker resumed; SIGKILL to the postmaster while it re-applies the blocks"
"${PSQL[@]}" -q -c "ALTER SYSTEM RESET event_processor.worker_enabled" -c "SELECT pg_reload_conf()" >/dev/null
wait_until "SELECT ($applied) >= $((keep + 300))" 120 "the worker re-applied 300 blocks"
kill -9 "$(as_pg head -1 "$DIR/data/postmaster.pid")"
restart_deadline=$((SECONDS + 60))
until as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null 2>&1; do
  [ $SECONDS -lt $restart_deadline ] || fail "the server did not restart after the postmaster was killed"
  sleep 1  # until the orphaned backends have exited
done
server_ready
wait_until "SELECT blocks_behind = 0 FROM event_processor.status()" 300 "the worker finished after the restart"
"${PSQL[@]}" -d byhand -q -o /dev/null -c "SET client_min_messages = warning" -c "SELECT * FROM event_processor.process_pending(100000)"
compare "after the postmaster was killed"
[ "$(q "SELECT count(*) FROM events")" = "$(q "SELECT count(*) FROM event_processor.applied_events")" ] \
  || fail "after the postmaster was killed: not every event applied exactly once"
log "worker-crash-test: OK: backend killed during revert, postmaster killed during processing; state equal to processing by hand"

# Without preloading (no worker): the library must load in a normal backend too. Defining the
# worker's postmaster-context setting there would be FATAL.
log "the same server without shared_preload_libraries: CREATE EXTENSION and a block by hand"
as_pg sed -i '/^shared_preload_libraries/d' "$DIR/data/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w restart -m fast >/dev/null
"${PSQL[@]}" -d postgres -c "CREATE DATABASE plain" >/dev/null
plain="$("${PSQL[@]}" -d plain -At <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables();
INSERT INTO starknet_blocks VALUES (1, '0x1', '0x0', 1, 'MINED');
SELECT newest_applied_block || ' ' || worker_state FROM event_processor.status();
SQL
)"
[ "$(echo "$plain" | tail -1)" = "1 not running" ] || fail "without preloading: $plain"
log "worker-crash-test: OK without preloading too (block applied by the trigger path, no worker)"
