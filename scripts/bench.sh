#!/usr/bin/env bash
# `make bench`: figures for the processor on a seeded synthetic chain (a benchmark, not a test).
# Builds and installs the release extension, starts a throw-away cluster and generates the chain
# (crates/synth through the synth-chain binary). Then, each figure next to a baseline measured in
# the same run (absolute times on shared machines are noisy; the ratios are what to compare):
#
#  1. ingest overhead: the indexer-style writes (one transaction per block: its starknet_blocks
#     row and its events rows) into a database with the extension and its trigger path, over the
#     same writes into a database without the extension; and with the trigger path off (the
#     worker's deployment: processing leaves the indexer's transaction);
#  2. catch-up: process_pending (the worker's batch call) over the whole chain, one transaction
#     per batch; events/s, blocks/s, and the ratio to a raw-write floor: a prepared single-row
#     INSERT writing as many rows as the catch-up wrote (pg_stat_user_tables), in as many
#     transactions;
#  3. revert: the newest REVERT_BLOCKS blocks with revert_block, one transaction per block,
#     against process_block of the same blocks (one transaction per block);
#  4. cost per LP of auction start, auction end and settlement for one vault with 10 ... 10,000
#     LPs (Simulator::lp_scaling): flat means linear total cost;
#  5. peak memory of the backends doing 2 and 4: VmHWM (peak resident set) minus RssShmem
#     (the shared buffers the backend has mapped, read at the end: with shared_buffers of 2 GB
#     VmHWM is mostly shared memory), a lower bound of the peak private memory;
#  6. who spends the catch-up's CPU: `perf record -g` of the catch-up backend, split into the
#     extension's own code and PostgreSQL's (scripts/lib/profile_share.py), with the hottest
#     functions. The targets of issue "Dense blocks" are printed last, beside their figures.
#
# Knobs: SEED (1), VAULTS (40), LPS (125 per vault), BIDDERS (50 per vault), BLOCKS (8000),
#        EVENTS (30, the most per block), BATCH (100 blocks per catch-up transaction, the worker's default),
#        REVERT_BLOCKS (1000), LP_SCALES ("10 100 1000 10000"), PROFILE=1 (pg_stat_statements:
#        the costliest statements of the trigger path and of the catch-up, nested ones
#        included), SHARED_BUFFERS (2GB),
#        INGEST=0 (skip section 1), PERF=0 (no profile; it needs perf and root; the profile is
#        kept as target/bench-perf.data)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/cluster.sh"
SEED="${SEED:-1}" VAULTS="${VAULTS:-40}" LPS="${LPS:-125}" BIDDERS="${BIDDERS:-50}"
BLOCKS="${BLOCKS:-8000}" EVENTS="${EVENTS:-30}" BATCH="${BATCH:-100}"
REVERT_BLOCKS="${REVERT_BLOCKS:-1000}" LP_SCALES="${LP_SCALES:-10 100 1000 10000}"
INGEST="${INGEST:-1}"
PERF="${PERF:-1}"
if [ "$PERF" = 1 ] && { ! command -v perf >/dev/null || [ "$(id -u)" -ne 0 ]; }; then
  echo "bench: no profile (PERF=1 needs perf and root)" >&2
  PERF=0
fi

install_extension --release
# A production-like buffer cache: with the default 128 MB the history table's index (over a
# million rows by the end) no longer fits and every probe reads through the kernel.
EXTRA_CONF="shared_buffers = '${SHARED_BUFFERS:-2GB}'"
EXTRA_CONF="$EXTRA_CONF
$(profile_conf)"
start_cluster
bench_helpers
START_ALL="$(now)"

SYNTH="$(build_synth_chain)"
CHAIN="$DIR/chain"
log "generating the chain (seed $SEED: $VAULTS vaults, $LPS LPs and $BIDDERS bidders each, $BLOCKS blocks)"
"$SYNTH" "$CHAIN" "$SEED" "$VAULTS" "$LPS" "$BIDDERS" "$BLOCKS" "$EVENTS"
chmod -R a+rX "$DIR"
EVENT_COUNT="$(wc -l < "$CHAIN/events.tsv")"

# A database with the indexer's tables; `ext` keeps the extension, `plain` drops it again.
make_db() { # name ext|plain chain_dir
  "${SQL[@]}" -d postgres -c "CREATE DATABASE $1"
  "${SQL[@]}" -d "$1" -o /dev/null <<SQL
SET client_min_messages = warning;
$( [ "${PROFILE:-0}" = 1 ] && echo "CREATE EXTENSION pg_stat_statements;" )
CREATE EXTENSION event_processor;
SELECT event_processor.create_indexer_tables(with_from_address => true);
$( [ "$2" = plain ] && echo "DROP EXTENSION event_processor CASCADE;" )
CREATE SCHEMA bench;
CREATE TABLE bench.blocks AS SELECT * FROM starknet_blocks WITH NO DATA;
CREATE TABLE bench.events AS SELECT * FROM events WITH NO DATA;
\\copy bench.blocks FROM '$3/blocks.tsv'
\\copy bench.events FROM '$3/events.tsv'
CREATE INDEX ON bench.blocks (block_number);
CREATE INDEX ON bench.events (block_number);
ANALYZE;
SQL
}

# The 15 statements of database $1 with the most execution time (PROFILE=1).
costliest_statements() {
  "${SQL[@]}" -d "$1" -P pager=off -c "SELECT calls, round(total_exec_time::numeric) AS ms,
         round(mean_exec_time::numeric, 3) AS mean_ms, rows,
         left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
    FROM pg_stat_statements WHERE query NOT LIKE '%bench.%' AND dbid = (SELECT oid FROM pg_database WHERE datname = '$1')
    ORDER BY total_exec_time DESC LIMIT 15"
}

# ---------------------------------------------------------------------------------------------
if [ "$INGEST" = 1 ]; then
log "1. ingest: $BLOCKS indexer transactions (block row + its events), without and with the extension"
make_db ingest_plain plain "$CHAIN"
make_db ingest_ext ext "$CHAIN"
cut -f1 "$CHAIN/blocks.tsv" | awk '{ print "BEGIN;\nINSERT INTO starknet_blocks SELECT * FROM bench.blocks WHERE block_number = " $1 ";\nINSERT INTO events SELECT * FROM bench.events WHERE block_number = " $1 ";\nCOMMIT;" }' > "$DIR/ingest.sql"
ingest() {
  local t0; t0="$(now)"
  "${SQL[@]}" -d "$1" -o /dev/null -f "$DIR/ingest.sql"
  calc "$(now) - $t0"
}
make_db ingest_worker ext "$CHAIN"
q ingest_worker "ALTER DATABASE ingest_worker SET event_processor.trigger_enabled = off" >/dev/null
INGEST_PLAIN="$(ingest ingest_plain)"
INGEST_EXT="$(ingest ingest_ext)"
INGEST_WORKER="$(ingest ingest_worker)"
[ "$(q ingest_ext 'SELECT count(*) FROM event_processor.applied_blocks')" = "$BLOCKS" ] \
  || { echo "bench: the trigger path did not apply every block" >&2; exit 1; }
INGEST_EVENTS="$(q ingest_ext 'SELECT count(*) FROM event_processor.applied_events')"
if [ "${PROFILE:-0}" = 1 ]; then
  log "costliest statements of the trigger path (pg_stat_statements, nested included)"
  costliest_statements ingest_ext
fi
fi

# ---------------------------------------------------------------------------------------------
log "2. catch-up: process_pending($BATCH) until the chain is applied, one transaction per batch"
make_db catchup ext "$CHAIN"
"${SQL[@]}" -d catchup <<'SQL'
ALTER DATABASE catchup SET event_processor.trigger_enabled = off;
SET event_processor.trigger_enabled = off;
CREATE TABLE bench.timing (phase text, block_hash text, blocks int, events int, seconds float8);
CREATE TABLE bench.stats AS SELECT 0 AS phase, sum(n_tup_ins + n_tup_upd + n_tup_del) AS rows
  FROM pg_stat_user_tables WHERE schemaname IN ('public', 'event_processor');
CREATE FUNCTION bench.catch_up(batch int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); b bigint; e bigint;
BEGIN
    SELECT blocks_applied, events_applied INTO b, e FROM event_processor.process_pending(batch);
    INSERT INTO bench.timing VALUES ('catch-up', NULL, b, e, extract(epoch FROM clock_timestamp() - t0));
END $$;
CREATE FUNCTION bench.process(hash text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); n int;
BEGIN
    n := event_processor.process_block(hash);
    INSERT INTO bench.timing VALUES ('process', hash, 1, n, extract(epoch FROM clock_timestamp() - t0));
END $$;
CREATE FUNCTION bench.revert(hash text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); n int;
BEGIN
    n := event_processor.revert_block(hash);
    INSERT INTO bench.timing VALUES ('revert', hash, 1, n, extract(epoch FROM clock_timestamp() - t0));
END $$;
CREATE FUNCTION bench.peak_kb() RETURNS text LANGUAGE sql AS
  $$ SELECT (h - s) || ' kB private (VmHWM ' || h || ' kB, of which shared buffers ' || s || ' kB)'
       FROM (SELECT substring(f FROM 'VmHWM:\s*(\d+) kB')::bigint AS h,
                    substring(f FROM 'RssShmem:\s*(\d+) kB')::bigint AS s
               FROM pg_read_file('/proc/self/status') AS f) m $$;
INSERT INTO starknet_blocks SELECT * FROM bench.blocks;
INSERT INTO events SELECT * FROM bench.events;
ANALYZE;
SQL
q catchup "SELECT pg_stat_reset()" >/dev/null
sleep 1
BATCHES=$(( (BLOCKS + BATCH - 1) / BATCH ))
# With PERF=1 the session itself starts perf on its backend before the first batch and stops
# it after the last (psql's \! runs in the client, as root).
export PERF_DATA="$DIR/perf.data" PERF_PID="$DIR/perf.pid"
{ echo "SET client_min_messages = error;"
  if [ "$PERF" = 1 ]; then
    echo "SELECT pg_backend_pid() AS backend \\gset"
    echo "\\setenv BACKEND_PID :backend"
    echo "\\! perf record -g -F 499 -p \"\$BACKEND_PID\" -o \"\$PERF_DATA\" >\"\$PERF_DATA.log\" 2>&1 & echo \$! >\"\$PERF_PID\""
  fi
  for _ in $(seq "$BATCHES"); do echo "SELECT bench.catch_up($BATCH);"; done
  [ "$PERF" = 1 ] && echo "\\! kill -INT \"\$(cat \"\$PERF_PID\")\""
  echo "\\o $DIR/catchup-peak"; echo "SELECT bench.peak_kb();"; } > "$DIR/catchup.sql"
T0="$(now)"
"${SQL[@]}" -d catchup -At -o /dev/null -f "$DIR/catchup.sql"
CATCHUP_WALL="$(calc "$(now) - $T0")"
if [ "$PERF" = 1 ]; then
  tail --pid="$(cat "$PERF_PID")" -f /dev/null  # perf writes its file as it exits
  perf script -i "$PERF_DATA" 2>/dev/null | python3 "$CRATE_DIR/scripts/lib/profile_share.py" > "$DIR/perf-share"
  perf report -i "$PERF_DATA" --no-children -g none --sort dso,symbol --percent-limit 1.5 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | cut -c1-150 > "$DIR/perf-top"
  cp "$PERF_DATA" "${CARGO_TARGET_DIR:-$CRATE_DIR/target}/bench-perf.data"  # for perf report
fi
CATCHUP_PEAK="$(cat "$DIR/catchup-peak")"
sleep 1  # the backend's table statistics are flushed when it exits
CATCHUP_ROWS="$(q catchup "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables
                            WHERE schemaname IN ('public', 'event_processor')")"
CATCHUP_TXNS="$(q catchup "SELECT count(*) FROM bench.timing WHERE phase = 'catch-up' AND blocks > 0")"
[ "$(q catchup 'SELECT count(*) FROM event_processor.applied_blocks')" = "$BLOCKS" ] \
  || { echo "bench: the catch-up did not apply every block" >&2; exit 1; }

log "2b. raw-write floor: $CATCHUP_ROWS rows by a prepared single-row INSERT, in $CATCHUP_TXNS transactions"
"${SQL[@]}" -d catchup <<'SQL'
CREATE TABLE bench.floor (id bigint PRIMARY KEY, address varchar(255), amount numeric(78,0), payload text);
CREATE PROCEDURE bench.write_rows(first bigint, n bigint) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN first .. first + n - 1 LOOP
        INSERT INTO bench.floor VALUES (i, to_hex(i::bigint * 7919), i::bigint * 1000003, md5(i::text));
    END LOOP;
END $$;
SQL
PER_TXN=$(( (CATCHUP_ROWS + CATCHUP_TXNS - 1) / CATCHUP_TXNS ))
{ for i in $(seq 0 $((CATCHUP_TXNS - 1))); do echo "CALL bench.write_rows($((i * PER_TXN)), $PER_TXN);"; done; } > "$DIR/floor.sql"
T0="$(now)"
"${SQL[@]}" -d catchup -o /dev/null -f "$DIR/floor.sql"
FLOOR_WALL="$(calc "$(now) - $T0")"

if [ "${PROFILE:-0}" = 1 ]; then
  log "costliest statements of the catch-up (pg_stat_statements, nested included)"
  costliest_statements catchup
fi

# ---------------------------------------------------------------------------------------------
log "3. revert the newest $REVERT_BLOCKS blocks (revert_block), then process them again (process_block), one transaction per block"
tail -n "$REVERT_BLOCKS" "$CHAIN/blocks.tsv" | cut -f2 > "$DIR/newest"
{ echo "SET client_min_messages = error;"; tac "$DIR/newest" | sed "s/.*/SELECT bench.revert('&');/"; } > "$DIR/revert.sql"
{ echo "SET client_min_messages = error;"; sed "s/.*/SELECT bench.process('&');/" "$DIR/newest"; } > "$DIR/reprocess.sql"
"${SQL[@]}" -d catchup -o /dev/null -f "$DIR/revert.sql"
"${SQL[@]}" -d catchup -o /dev/null -f "$DIR/reprocess.sql"

# ---------------------------------------------------------------------------------------------
log "4. cost per LP: one vault, LPs = $LP_SCALES"
echo -n > "$DIR/lp-scaling.tsv"
for n in $LP_SCALES; do
  "$SYNTH" lp-scaling "$DIR/lp$n" "$n" 2>/dev/null
  chmod -R a+rX "$DIR/lp$n"
  make_db "lp$n" ext "$DIR/lp$n"
  "${SQL[@]}" -d "lp$n" <<SQL
ALTER DATABASE lp$n SET event_processor.trigger_enabled = off;
SET event_processor.trigger_enabled = off;
INSERT INTO starknet_blocks SELECT * FROM bench.blocks;
INSERT INTO events SELECT * FROM bench.events;
ANALYZE;
CREATE TABLE bench.timing (block_hash text, seconds float8);
CREATE TABLE bench.phases (block_hash text, phase text, lps int);
\\copy bench.phases FROM '$DIR/lp$n/phases.tsv'
CREATE FUNCTION bench.process(hash text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM event_processor.process_block(hash);
    INSERT INTO bench.timing VALUES (hash, extract(epoch FROM clock_timestamp() - t0));
END \$\$;
SQL
  { echo "SET client_min_messages = error;"; cut -f2 "$DIR/lp$n/blocks.tsv" | sed "s/.*/SELECT bench.process('&');/"
    echo "\\o $DIR/lp$n/peak"; echo "SELECT substring(f FROM 'VmHWM:\s*(\d+) kB')::bigint - substring(f FROM 'RssShmem:\s*(\d+) kB')::bigint FROM pg_read_file('/proc/self/status') f;"; } > "$DIR/lp$n/process.sql"
  "${SQL[@]}" -d "lp$n" -At -o /dev/null -f "$DIR/lp$n/process.sql"
  q "lp$n" "SELECT p.lps, p.phase, round((1e6 * t.seconds / p.lps)::numeric, 2), round((1e3 * t.seconds)::numeric, 2), $(tr -d '[:space:]' < "$DIR/lp$n/peak")
              FROM bench.phases p JOIN bench.timing t USING (block_hash) WHERE p.phase <> 'bids'" | tr '|' '\t' >> "$DIR/lp-scaling.tsv"
  "${SQL[@]}" -d postgres -c "DROP DATABASE lp$n"
done

# ---------------------------------------------------------------------------------------------
log "results ($(nproc) cores, $(date -u +%F), PostgreSQL $(as_pg "$PG_BIN/postgres" --version | awk '{print $3}'), $(( $(date +%s) - ${START_ALL%.*} )) s in all)"
CATCHUP_SERVER="$(q catchup "SELECT sum(seconds) FROM bench.timing WHERE phase = 'catch-up'")"
echo
echo "chain: $BLOCKS blocks, $EVENT_COUNT events, $VAULTS vaults, $((VAULTS * LPS)) LPs, $((VAULTS * BIDDERS)) bidders (seed $SEED)"
echo
if [ "$INGEST" = 1 ]; then cat <<EOF
1. ingest (indexer transactions, one per block, client wall time)
   without the extension   $(printf '%8.2f' "$INGEST_PLAIN") s
   with the trigger path   $(printf '%8.2f' "$INGEST_EXT") s   ($INGEST_EVENTS events applied at COMMIT)
   ingest overhead         $(printf '%8.2f' "$(calc "$INGEST_EXT / $INGEST_PLAIN")") x
   trigger path off        $(printf '%8.2f' "$INGEST_WORKER") s   (processing left to the worker)
   ingest overhead         $(printf '%8.2f' "$(calc "$INGEST_WORKER / $INGEST_PLAIN")") x with the worker path

EOF
else echo "1. ingest: skipped (INGEST=0)"; echo; fi
cat <<EOF
2. catch-up (process_pending($BATCH), $CATCHUP_TXNS transactions)
   time                    $(printf '%8.2f' "$CATCHUP_WALL") s wall, $(printf '%.2f' "$CATCHUP_SERVER") s in the server
   throughput              $(printf '%8.0f' "$(calc "$EVENT_COUNT / $CATCHUP_WALL")") events/s, $(printf '%.0f' "$(calc "$BLOCKS / $CATCHUP_WALL")") blocks/s
   rows written            $CATCHUP_ROWS (state, history, journal, ledger; pg_stat_user_tables)
   raw-write floor         $(printf '%8.2f' "$FLOOR_WALL") s for as many rows in as many transactions
   catch-up / floor        $(printf '%8.2f' "$(calc "$CATCHUP_WALL / $FLOOR_WALL")") x
   peak memory             $CATCHUP_PEAK
EOF
echo
echo "3. revert vs process, the newest $REVERT_BLOCKS blocks, one transaction per block (server time)"
"${SQL[@]}" -d catchup -P pager=off <<'SQL'
SELECT phase, count(*) AS blocks, sum(events) AS events, round(sum(seconds)::numeric, 3) AS seconds,
       round((1e6 * sum(seconds) / count(*))::numeric) AS us_per_block,
       round((sum(events) / sum(seconds))::numeric) AS events_per_s
  FROM bench.timing WHERE phase IN ('revert', 'process') GROUP BY phase ORDER BY phase DESC;
SELECT round(((SELECT sum(seconds) FROM bench.timing WHERE phase = 'revert')
            / (SELECT sum(seconds) FROM bench.timing WHERE phase = 'process'))::numeric, 3)
       AS revert_time_over_process_time;
SQL
echo "4. cost per LP (process_block of the block, server time)"
printf '   %-7s %-14s %12s %10s %14s\n' LPs phase "µs per LP" "ms" "private kB"
awk -F'\t' '{ printf "   %-7s %-14s %12s %10s %14s\n", $1, $2, $3, $4, $5 }' "$DIR/lp-scaling.tsv"
REVERT_RATIO="$(q catchup "SELECT (SELECT sum(seconds) FROM bench.timing WHERE phase = 'revert')
                               / (SELECT sum(seconds) FROM bench.timing WHERE phase = 'process')")"
if [ "$PERF" = 1 ]; then
  echo
  echo "5. who spends the catch-up backend's CPU (perf record -g -F 499 -p <backend>; scripts/lib/profile_share.py)"
  awk -F'\t' '{ printf "   %-10s %7s samples %6s %%\n", $1, $2, $3 }' "$DIR/perf-share"
  echo "   hottest functions (self time, share of the backend's samples):"
  sed 's/^/   /' "$DIR/perf-top"
fi

# The targets of issue "Dense blocks", each beside its figure.
verdict() { awk "BEGIN { exit !($1) }" && echo met || echo missed; }
FLOOR_RATIO="$(calc "$CATCHUP_WALL / $FLOOR_WALL")"
echo
echo "targets"
printf '   %-38s %8.2f x     target <= 2     %s\n' "catch-up / raw-write floor" "$FLOOR_RATIO" "$(verdict "$FLOOR_RATIO <= 2")"
if [ "$PERF" = 1 ]; then
  OWN="$(awk -F'\t' '$1 == "extension" { print $3 }' "$DIR/perf-share")"
  printf '   %-38s %8.1f %%     target <= 25 %%  %s\n' "extension's own code, catch-up CPU" "$OWN" "$(verdict "$OWN <= 25")"
else
  echo "   extension's own code, catch-up CPU     not measured (PERF=0)"
fi
if [ "$INGEST" = 1 ]; then
  TRIGGER_RATIO="$(calc "$INGEST_EXT / $INGEST_PLAIN")"
  printf '   %-38s %8.2f x     target <= 10    %s\n' "trigger path / plain ingest" "$TRIGGER_RATIO" "$(verdict "$TRIGGER_RATIO <= 10")"
else
  echo "   trigger path / plain ingest            not measured (INGEST=0)"
fi
printf '   %-38s %8.3f       target <= 1     %s\n' "revert / process (time)" "$REVERT_RATIO" "$(verdict "$REVERT_RATIO <= 1")"
echo "   peak private memory of the catch-up    ${CATCHUP_PEAK%% kB*} kB at $BATCH blocks per batch (flat or falling: compare runs)"
