#!/usr/bin/env bash
# `make bench-chain`: the real deployment's shape (a benchmark, not a test). The logger writes
# every Starknet block (about 43,000 a day), and almost none carries a Pitch Lake event. The
# chain: VAULTS vaults with LPS LPs each, about one block in GAP with events, CHAIN_BLOCKS
# blocks of history, then INGEST_BLOCKS empty blocks and DENSE_BLOCKS blocks with events for the
# ingest figures. Each figure is printed beside a baseline from the same run, and its target:
#
#  1. catch-up: the history bulk-loaded with the extension idle (installed late, or the worker
#     down), then process_pending(BATCH) until it is applied, one transaction per batch: blocks/s,
#     events/s, and the cost per block at 1k, 100k and 1M applied blocks (5 batches each);
#     flatness on like blocks: PROBE_BLOCKS more empty blocks caught up after the history and
#     after 1,000 blocks (the history's last 1,000 block rows, with every event of the history but
#     no block row for the others: blocks are applied in chain order, so the early databases'
#     heights run on into the probe).
#  2. the trigger path's overhead per indexer transaction, the logger's way (the block row, its
#     events, a StartBlock driver event, COMMIT), over the same transactions in a database
#     without the extension. Measured after the whole history (late) and after 1,000 blocks
#     (early), for empty blocks and for blocks with events, and on empty blocks without the
#     logger's indexes on events (the extension adds the one it needs), and with the trigger
#     path off (the worker deployment). Plain and extension
#     chunks alternate, so that machine noise hits both.
#  3. peak private memory of the catch-up backend (VmHWM minus RssShmem) after 10 %, 50 % and
#     100 % of the chain: flat means no growth with the chain.
#  4. the worker deployment (mode = worker, the server restarted with the library preloaded,
#     worker_naptime = 10 s, track_commit_timestamp = on): the latency from the indexer's COMMIT
#     to the worker's COMMIT of the block (pg_xact_commit_timestamp of the block row and of an
#     audit row the ledger's insert trigger writes), p50/p99/max,
#     for the INGEST_BLOCKS empty logger transactions sent back to back (a burst; also the
#     indexer's overhead over a database without the extension), the DENSE_BLOCKS dense ones,
#     and PACED_BLOCKS empty blocks one every PACE_MS (the worker asleep when each arrives, as
#     at Starknet's cadence of seconds).
#
# Knobs: CHAIN_BLOCKS (100000; the full size is 1000000), GAP (200), VAULTS (3), LPS (100),
#        BIDDERS (20), SEED (1), BATCH (1000), INGEST_BLOCKS (2000), DENSE_BLOCKS (200),
#        PROBE_BLOCKS (10 batches),
#        CHUNKS (8), PACED_BLOCKS (1000), PACE_MS (20),
#        PROFILE=1 (pg_stat_statements of the catch-up and the trigger path).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
CHAIN_BLOCKS="${CHAIN_BLOCKS:-100000}" GAP="${GAP:-200}" VAULTS="${VAULTS:-3}" LPS="${LPS:-100}"
BIDDERS="${BIDDERS:-20}" SEED="${SEED:-1}" BATCH="${BATCH:-1000}"
INGEST_BLOCKS="${INGEST_BLOCKS:-2000}" DENSE_BLOCKS="${DENSE_BLOCKS:-200}" CHUNKS="${CHUNKS:-8}"
PROBE_BLOCKS="${PROBE_BLOCKS:-$((10 * BATCH))}"
PACED_BLOCKS="${PACED_BLOCKS:-1000}" PACE_MS="${PACE_MS:-20}"

install_extension --release
# Autovacuum off: on 2 cores a worker vacuuming one of the other databases competes with the
# measured session at random moments (it made the same figure vary by 1.6x between runs). The
# loads are followed by VACUUM ANALYZE instead, and the catch-up runs without any vacuum, the
# harder case for the prune.
EXTRA_CONF="shared_buffers = '${SHARED_BUFFERS:-1GB}'
autovacuum = off"
EXTRA_CONF="$EXTRA_CONF
$(profile_conf)"
start_cluster
bench_helpers
START_ALL="$(now)"

SYNTH="$(build_synth_chain)"
CHAIN="$DIR/chain"
log "generating the chain: $CHAIN_BLOCKS blocks (about 1 in $GAP with events), $VAULTS vaults x $LPS LPs, then $PROBE_BLOCKS + $INGEST_BLOCKS empty and $DENSE_BLOCKS dense blocks"
"$SYNTH" sparse "$CHAIN" "$CHAIN_BLOCKS" "$SEED" "$VAULTS" "$LPS" \
  "$BIDDERS" "$GAP" 8 $((PROBE_BLOCKS + INGEST_BLOCKS)) "$DENSE_BLOCKS"
FIRST="$(head -1 "$CHAIN/blocks.tsv" | cut -f1)"
PROBE_FROM=$((FIRST + CHAIN_BLOCKS)) EMPTY_FROM=$((FIRST + CHAIN_BLOCKS + PROBE_BLOCKS))
DENSE_FROM=$((EMPTY_FROM + INGEST_BLOCKS))
EARLY=1000
# Segments by block number: history (all, or the first EARLY), then the two ingest segments.
split_chain() { # name first_excluded last_excluded
  awk -F'\t' -v lo="$2" -v hi="$3" '$1 >= lo && $1 < hi' "$CHAIN/blocks.tsv" > "$CHAIN/$1-blocks.tsv"
  awk -F'\t' -v lo="$2" -v hi="$3" '$2 >= lo && $2 < hi' "$CHAIN/events.tsv" > "$CHAIN/$1-events.tsv"
}
split_chain history "$FIRST" "$PROBE_FROM"
split_chain probe "$PROBE_FROM" "$EMPTY_FROM"
split_chain early $((PROBE_FROM - EARLY)) "$PROBE_FROM"
# The early databases hold every event of the history, without the block rows of the events'
# blocks (nothing applies them): the events index a pending block is probed against is the
# same size as after the whole chain, and only the ledger and the block table differ.
cp "$CHAIN/history-events.tsv" "$CHAIN/early-events.tsv"
split_chain empty "$EMPTY_FROM" "$DENSE_FROM"
split_chain dense "$DENSE_FROM" $((DENSE_FROM + DENSE_BLOCKS))
chmod -R a+rX "$DIR"
HISTORY_EVENTS="$(wc -l < "$CHAIN/history-events.tsv")"
NONEMPTY="$(cut -f2 "$CHAIN/history-events.tsv" | sort -u | wc -l)"

# A database with the indexer's tables and the history loaded (no trigger fires: the
# extension is idle, as when it is installed late). ext|plain; idx|noidx (the logger's indexes
# on events); the history segment to load.
make_db() { # name ext|plain idx|noidx segment
  "${SQL[@]}" -d postgres -c "CREATE DATABASE $1"
  "${SQL[@]}" -d "$1" -o /dev/null <<SQL
SET client_min_messages = warning;
$( [ "${PROFILE:-0}" = 1 ] && echo "CREATE EXTENSION pg_stat_statements;" )
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables(with_from_address => true);
$( [ "$3" = noidx ] && echo "DROP INDEX IF EXISTS events_block_number_idx, events_event_name_idx, events_vault_address_idx, events_transaction_hash_idx, event_processor_events_block_idx;" )
$( [ "$3" = noidx ] && [ "$2" = ext ] && echo "SELECT event_processor.attach_block_triggers();" )
$( [ "$2" = plain ] && echo "DROP EXTENSION event_processor CASCADE;" )
SET session_replication_role = replica;
\\copy starknet_blocks FROM '$CHAIN/$4-blocks.tsv'
\\copy events FROM '$CHAIN/$4-events.tsv'
RESET session_replication_role;
CREATE SCHEMA bench;
CREATE TABLE bench.events AS SELECT * FROM events WITH NO DATA;
\\copy bench.events FROM '$CHAIN/empty-events.tsv'
\\copy bench.events FROM '$CHAIN/dense-events.tsv'
CREATE INDEX ON bench.events (block_hash);
VACUUM ANALYZE;
SQL
}

# The logger's transactions for a segment, one per block, in CHUNKS files.
ingest_files() { # segment
  local lines per
  lines="$(wc -l < "$CHAIN/$1-blocks.tsv")"; per=$(( (lines + CHUNKS - 1) / CHUNKS ))
  awk -F'\t' '{ printf "BEGIN;\nINSERT INTO starknet_blocks VALUES (%s, '"'"'%s'"'"', '"'"'%s'"'"', %s, '"'"'MINED'"'"');\nINSERT INTO events SELECT * FROM bench.events WHERE block_hash = '"'"'%s'"'"';\nINSERT INTO driver_events (type, block_hash) VALUES ('"'"'StartBlock'"'"', '"'"'%s'"'"');\nCOMMIT;\n", $1, $2, $3, $4, $2, $2 }' \
    "$CHAIN/$1-blocks.tsv" | split -l $((per * 5)) -d - "$DIR/ingest-$1-"
}
# Runs the chunks of a segment alternately into two databases; prints "plain_s ext_s ratio":
# the sums, and the median of the chunks' ratios (a slow fsync in one chunk moves it least).
ingest_pair() { # plain_db ext_db segment
  local tp=0 te=0 t0 f a b ratios=()
  # The loads left dirty buffers; written out now, not by the checkpointer during the timing.
  q postgres "CHECKPOINT" >/dev/null
  for f in "$DIR"/ingest-"$3"-*; do
    t0="$(now)"; "${SQL[@]}" -d "$1" -o /dev/null -f "$f"; a="$(calc "$(now) - $t0")"
    t0="$(now)"; "${SQL[@]}" -d "$2" -o /dev/null -f "$f"; b="$(calc "$(now) - $t0")"
    tp="$(calc "$tp + $a")"; te="$(calc "$te + $b")"; ratios+=("$(calc "$b / $a")")
  done
  echo "$tp $te $(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')"
}
catch_up_functions() { # db
  "${SQL[@]}" -d "$1" -o /dev/null <<'SQL'
CREATE TABLE bench.timing (batch serial, blocks int, events int, seconds float8);
CREATE FUNCTION bench.catch_up(batch int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); b bigint; e bigint;
BEGIN
    SELECT blocks_applied, events_applied INTO b, e FROM event_processor.process_pending(batch);
    INSERT INTO bench.timing (blocks, events, seconds) VALUES (b, e, extract(epoch FROM clock_timestamp() - t0));
END $$;
CREATE FUNCTION bench.peak_kb() RETURNS bigint LANGUAGE sql AS
  $$ SELECT substring(f FROM 'VmHWM:\s*(\d+) kB')::bigint - substring(f FROM 'RssShmem:\s*(\d+) kB')::bigint
       FROM pg_read_file('/proc/self/status') AS f $$;
SQL
}
profile() { # db title
  [ "${PROFILE:-0}" = 1 ] || return 0
  log "$2: costliest statements (pg_stat_statements, nested included)"
  "${SQL[@]}" -d "$1" -P pager=off -c "SELECT calls, round(total_exec_time::numeric) AS ms,
         round(mean_exec_time::numeric, 4) AS mean_ms, rows,
         left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
    FROM pg_stat_statements WHERE query NOT LIKE '%bench.%' AND dbid = (SELECT oid FROM pg_database WHERE datname = '$1')
    ORDER BY total_exec_time DESC LIMIT 12"
  q "$1" "SELECT pg_stat_statements_reset()" >/dev/null
}

# ---------------------------------------------------------------------------------------------
log "1. catch-up: $CHAIN_BLOCKS blocks ($HISTORY_EVENTS events in $NONEMPTY blocks) by process_pending($BATCH)"
make_db late ext idx history
catch_up_functions late
BATCHES=$(( (CHAIN_BLOCKS + BATCH - 1) / BATCH ))
{ echo "SET client_min_messages = error;"
  for i in $(seq "$BATCHES"); do
    echo "SELECT bench.catch_up($BATCH);"
    for mark in 10 50 100; do
      [ "$i" = $(( (BATCHES * mark + 99) / 100 )) ] && echo "\\o $DIR/peak-$mark" && echo "SELECT bench.peak_kb();" && echo "\\o"
    done
  done; } > "$DIR/catchup.sql"
q late "SELECT pg_stat_reset()" >/dev/null
[ "${PROFILE:-0}" = 1 ] && q late "SELECT pg_stat_statements_reset()" >/dev/null
T0="$(now)"
"${SQL[@]}" -d late -At -o /dev/null -f "$DIR/catchup.sql"
CATCHUP_WALL="$(calc "$(now) - $T0")"
[ "$(q late 'SELECT count(*) FROM event_processor.applied_blocks')" = "$CHAIN_BLOCKS" ] \
  || { echo "bench-chain: the catch-up did not apply every block" >&2; exit 1; }
[ "$(q late 'SELECT count(*) FROM event_processor.applied_events')" = "$HISTORY_EVENTS" ] \
  || { echo "bench-chain: the catch-up did not apply every event" >&2; exit 1; }
profile late "catch-up"
# µs per block over the 5 batches from the one holding block `at` (or the last 5).
per_block_at() { # at
  q late "SELECT round((1e6 * sum(seconds) / sum(blocks))::numeric, 1) FROM bench.timing
           WHERE batch >= least(($1 - 1) / $BATCH + 1, $BATCHES - 4) AND batch < least(($1 - 1) / $BATCH + 1, $BATCHES - 4) + 5"
}
AT_1K="$(per_block_at 1001)"
AT_100K="$( [ "$CHAIN_BLOCKS" -ge 100000 ] && per_block_at 100000 || echo -)"
AT_END="$(per_block_at "$CHAIN_BLOCKS")"
# Flatness on like blocks: the same PROBE_BLOCKS empty blocks caught up after the history
# (late) and after 1,000 empty blocks (early): the median server time per block of the
# batches, the first (which prepares the session's plans) left out.
probe() { # db
  "${SQL[@]}" -d "$1" -o /dev/null <<SQL
SET session_replication_role = replica;
\\copy starknet_blocks FROM '$CHAIN/probe-blocks.tsv'
RESET session_replication_role;
VACUUM ANALYZE;
CHECKPOINT;
TRUNCATE bench.timing;
SQL
  { echo "SET client_min_messages = error;"
    for _ in $(seq $(( (PROBE_BLOCKS + BATCH - 1) / BATCH ))); do echo "SELECT bench.catch_up($BATCH);"; done; } > "$DIR/probe.sql"
  "${SQL[@]}" -d "$1" -At -o /dev/null -f "$DIR/probe.sql"
  q "$1" "SELECT round((1e6 * percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds / blocks))::numeric, 2)
           FROM bench.timing WHERE blocks > 0 AND batch > (SELECT min(batch) FROM bench.timing)"
}
PROBE_LATE="$(probe late)"
# The probe blocks too, caught up untimed: the ingest segments continue them, and blocks are
# applied in chain order (a block above a missing height waits for it).
with_probe() { # db
  "${SQL[@]}" -d "$1" -o /dev/null <<SQL
SET session_replication_role = replica;
\\copy starknet_blocks FROM '$CHAIN/probe-blocks.tsv'
RESET session_replication_role;
SQL
  if [ "$(q "$1" "SELECT to_regnamespace('event_processor') IS NOT NULL")" = t ]; then
    q "$1" "SELECT bench.catch_up(100000)" >/dev/null
  fi
  q "$1" "VACUUM ANALYZE" >/dev/null
}

# ---------------------------------------------------------------------------------------------
log "2. trigger path: $INGEST_BLOCKS empty and $DENSE_BLOCKS dense logger transactions, plain vs extension"
make_db late_plain plain idx history
make_db early ext idx early
catch_up_functions early
q early "SELECT bench.catch_up(100000)" >/dev/null
PROBE_EARLY="$(probe early)"
make_db early_plain plain idx early
make_db noidx ext noidx early
catch_up_functions noidx
with_probe noidx
make_db noidx_plain plain noidx early
with_probe noidx_plain
# The trigger path off and no worker running: the block triggers' own cost in worker mode.
make_db off ext idx early
q off "ALTER DATABASE off SET event_processor.mode = worker" >/dev/null
make_db off_plain plain idx early
ingest_files empty
ingest_files dense
# Warm both sides' caches and plans with the first chunk's worth? No: every database ingests
# the same blocks once, so the early pair and the no-index pair get copies of their own.
[ "${PROFILE:-0}" = 1 ] && q late "SELECT pg_stat_statements_reset()" >/dev/null
read -r LATE_PLAIN LATE_EXT LATE_R < <(ingest_pair late_plain late empty)
profile late "trigger path, empty blocks"
read -r LATE_DPLAIN LATE_DEXT LATE_DR < <(ingest_pair late_plain late dense)
profile late "trigger path, dense blocks"
read -r EARLY_PLAIN EARLY_EXT EARLY_R < <(ingest_pair early_plain early empty)
read -r NOIDX_PLAIN NOIDX_EXT NOIDX_R < <(ingest_pair noidx_plain noidx empty)
read -r OFF_PLAIN OFF_EXT OFF_R < <(ingest_pair off_plain off empty)
for db in late early noidx; do
  want=$(( $(q "$db" "SELECT count(*) FROM starknet_blocks WHERE status = 'MINED'") ))
  got="$(q "$db" 'SELECT count(*) FROM event_processor.applied_blocks')"
  [ "$got" = "$want" ] || { echo "bench-chain: $db applied $got of $want blocks" >&2; exit 1; }
done
DENSE_EVENTS="$(wc -l < "$CHAIN/dense-events.tsv")"

# ---------------------------------------------------------------------------------------------
log "3. the worker deployment: the latency from the indexer's COMMIT to the block applied"
# The whole history applied (the dense blocks need its vaults and rounds), as in "late".
make_db wk ext idx history
catch_up_functions wk
until [ "$(q wk "SELECT blocks_applied FROM event_processor.process_pending($BATCH)")" = 0 ]; do :; done
with_probe wk
q wk "ALTER DATABASE wk SET event_processor.mode = worker" >/dev/null
# When each block was applied: the commit time of the transaction that inserted its ledger row.
# (The ledger row's own xmin moves when the prune updates it, finality_depth blocks later.)
"${SQL[@]}" -d wk -o /dev/null <<'SQL'
CREATE TABLE bench.applied (block_hash text PRIMARY KEY);
CREATE FUNCTION bench.record_applied() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO bench.applied VALUES (NEW.block_hash); RETURN NULL; END $$;
CREATE TRIGGER bench_applied AFTER INSERT ON event_processor.applied_blocks
  FOR EACH ROW EXECUTE FUNCTION bench.record_applied();
SQL
make_db wk_plain plain idx history
with_probe wk_plain
# The library preloaded, the worker serving wk; a nap that would show if it polled.
printf "shared_preload_libraries = '%s'\nevent_processor.worker_database = 'wk'\nevent_processor.worker_naptime = '10s'\ntrack_commit_timestamp = on\n" \
  "$( [ "${PROFILE:-0}" = 1 ] && echo "pg_stat_statements, " )event_processor" | as_pg tee -a "$DIR/data/postgresql.conf" >/dev/null
# (The chain's files were made readable to all; the data directory must stay private.)
$SUDO chmod 0700 "$DIR/data"
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -m fast -w -t 300 restart >/dev/null \
  || { tail -30 "$DIR/server.log" >&2; exit 1; }
until [ "$(q wk "SELECT worker_pid IS NOT NULL FROM event_processor.status()")" = t ]; do sleep 0.2; done
caught_up() { # db
  until [ "$(q "$1" "SELECT blocks_behind = 0 FROM event_processor.status()")" = t ]; do sleep 0.2; done
}
read -r WK_PLAIN WK_EXT WK_R < <(ingest_pair wk_plain wk empty)
caught_up wk
for f in "$DIR"/ingest-dense-*; do "${SQL[@]}" -d wk -o /dev/null -f "$f"; done
caught_up wk
# Paced: empty blocks continuing the dense tail, each in its own logger transaction, with a
# pause between them in the indexer's session.
IFS=$'\t' read -r LAST_NUMBER LAST_HASH _ LAST_TS _ < <(tail -1 "$CHAIN/dense-blocks.tsv")
PACED_FROM=$((LAST_NUMBER + 1))
awk -v n="$PACED_BLOCKS" -v first="$PACED_FROM" -v parent="$LAST_HASH" -v ts="$LAST_TS" -v pause="$PACE_MS" 'BEGIN {
  for (i = 0; i < n; i++) {
    h = sprintf("0x7ace%020d", first + i)
    printf "BEGIN;\nINSERT INTO starknet_blocks VALUES (%d, '"'"'%s'"'"', '"'"'%s'"'"', %d, '"'"'MINED'"'"');\n", first + i, h, parent, ts + 2 * (i + 1)
    printf "INSERT INTO driver_events (type, block_hash) VALUES ('"'"'StartBlock'"'"', '"'"'%s'"'"');\nCOMMIT;\nSELECT pg_sleep(%f);\n", h, pause / 1000
    parent = h
  } }' > "$DIR/paced.sql"
"${SQL[@]}" -d wk -o /dev/null -f "$DIR/paced.sql"
caught_up wk
[ "$(q wk "SELECT count(*) FROM starknet_blocks b WHERE NOT EXISTS (SELECT 1 FROM event_processor.applied_blocks a WHERE a.block_hash = b.block_hash)")" = 0 ] \
  || { echo "bench-chain: the worker left blocks unapplied" >&2; exit 1; }
# "blocks p50 p99 max" (ms) of the blocks in [lo, hi): indexer COMMIT to worker COMMIT.
latency() { # lo hi
  q wk "SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(max(ms)::numeric, 2)
          FROM (SELECT 1000 * extract(epoch FROM pg_xact_commit_timestamp(a.xmin) - pg_xact_commit_timestamp(b.xmin)) AS ms
                  FROM public.starknet_blocks b JOIN bench.applied a ON a.block_hash = b.block_hash
                 WHERE b.block_number >= $1 AND b.block_number < $2) l" | tr '|' ' '
}
read -r BURST_N BURST_P50 BURST_P99 BURST_MAX < <(latency "$EMPTY_FROM" "$DENSE_FROM")
read -r DBURST_N DBURST_P50 DBURST_P99 DBURST_MAX < <(latency "$DENSE_FROM" "$PACED_FROM")
read -r PACED_N PACED_P50 PACED_P99 PACED_MAX < <(latency "$PACED_FROM" $((PACED_FROM + PACED_BLOCKS)))
WAKE="$(q wk "SELECT wake_requests || ' wake-ups, ' || reactions || ' passes' FROM event_processor.wake_state()")"

# ---------------------------------------------------------------------------------------------
log "results ($(nproc) cores, $(date -u +%F), PostgreSQL $(as_pg "$PG_BIN/postgres" --version | awk '{print $3}'), $(( $(date +%s) - ${START_ALL%.*} )) s in all)"
us() { printf '%.0f' "$(calc "1e6 * ($1) / $2")"; }
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo MISSED; }
CATCHUP_BPS="$(calc "$CHAIN_BLOCKS / $CATCHUP_WALL")"
FLAT="$(calc "$PROBE_LATE / $PROBE_EARLY")"
cat <<EOF

chain: $CHAIN_BLOCKS blocks, $HISTORY_EVENTS events in $NONEMPTY of them ($(printf '%.2f' "$(calc "100 * $NONEMPTY / $CHAIN_BLOCKS")") %), $VAULTS vaults x $LPS LPs (seed $SEED, gap $GAP)

1. catch-up (process_pending($BATCH), $BATCHES transactions)
   time                    $(printf '%8.2f' "$CATCHUP_WALL") s wall
   throughput              $(printf '%8.0f' "$CATCHUP_BPS") blocks/s, $(printf '%.0f' "$(calc "$HISTORY_EVENTS / $CATCHUP_WALL")") events/s     target >= 20,000 blocks/s: $(verdict "$CATCHUP_BPS >= 20000")
   cost per block          $AT_1K µs at 1k applied, $AT_100K µs at 100k, $AT_END µs at $CHAIN_BLOCKS (batches of the history: their events vary)
   empty blocks            $PROBE_EARLY µs per block after 1k applied, $PROBE_LATE µs after $CHAIN_BLOCKS ($PROBE_BLOCKS like blocks each)
   after the chain / 1k    $(printf '%8.2f' "$FLAT") x                    target <= 1.2: $(verdict "$FLAT <= 1.2")
   peak private memory     $(cat "$DIR/peak-10") kB at 10 %, $(cat "$DIR/peak-50") kB at 50 %, $(cat "$DIR/peak-100") kB at 100 %   target flat: $(verdict "$(cat "$DIR/peak-100") <= 1.2 * $(cat "$DIR/peak-10") + 1024")

2. trigger path, logger transactions (block + events + StartBlock, COMMIT; client wall time)
                             plain        extension    per block      ratio (median of the chunks)
   empty, after the chain  $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$LATE_PLAIN" "$LATE_EXT" "$(us "$LATE_EXT - $LATE_PLAIN" "$INGEST_BLOCKS")" "$(printf '%.2f' "$LATE_R")")   target <= 1.2: $(verdict "$LATE_R <= 1.2")
   empty, after 1k blocks  $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$EARLY_PLAIN" "$EARLY_EXT" "$(us "$EARLY_EXT - $EARLY_PLAIN" "$INGEST_BLOCKS")" "$(printf '%.2f' "$EARLY_R")")   target <= 1.2: $(verdict "$EARLY_R <= 1.2")
   empty, worker mode      $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$OFF_PLAIN" "$OFF_EXT" "$(us "$OFF_EXT - $OFF_PLAIN" "$INGEST_BLOCKS")" "$(printf '%.2f' "$OFF_R")")   (no worker running: the triggers alone)
   empty, no logger index  $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$NOIDX_PLAIN" "$NOIDX_EXT" "$(us "$NOIDX_EXT - $NOIDX_PLAIN" "$INGEST_BLOCKS")" "$(printf '%.2f' "$NOIDX_R")")   target <= 1.2: $(verdict "$NOIDX_R <= 1.2")
   dense, after the chain  $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$LATE_DPLAIN" "$LATE_DEXT" "$(us "$LATE_DEXT - $LATE_DPLAIN" "$DENSE_BLOCKS")" "$(printf '%.2f' "$LATE_DR")")   ($DENSE_EVENTS events; dense blocks: issue "Dense blocks")

3. the worker deployment (mode = worker, worker_naptime = 10 s): indexer COMMIT to worker COMMIT
                             blocks      p50 ms     p99 ms     max ms
   paced, one per $(printf '%-4s' "${PACE_MS}") ms $(printf '%7s   %8s   %8s   %8s' "$PACED_N" "$PACED_P50" "$PACED_P99" "$PACED_MAX")   target p50 <= 5, p99 <= 50: $(verdict "$PACED_P50 <= 5 && $PACED_P99 <= 50")
   burst, empty blocks     $(printf '%7s   %8s   %8s   %8s' "$BURST_N" "$BURST_P50" "$BURST_P99" "$BURST_MAX")   target p50 <= 5, p99 <= 50: $(verdict "$BURST_P50 <= 5 && $BURST_P99 <= 50")
   burst, dense blocks     $(printf '%7s   %8s   %8s   %8s' "$DBURST_N" "$DBURST_P50" "$DBURST_P99" "$DBURST_MAX")   ($DENSE_EVENTS events)
   ($WAKE)
                             plain        extension    per block      ratio (median of the chunks)
   indexer, empty blocks   $(printf '%8.2f s   %8.2f s   %6s µs   %6s x' "$WK_PLAIN" "$WK_EXT" "$(us "$WK_EXT - $WK_PLAIN" "$INGEST_BLOCKS")" "$(printf '%.2f' "$WK_R")")   target <= 1.05: $(verdict "$WK_R <= 1.05")
EOF
