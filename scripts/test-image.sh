#!/usr/bin/env bash
# `make test-image`: the image as a user runs it, without a container runtime (crun cannot run
# containers in this sandbox, docs/deploy.md):
#
# 1. builds it (scripts/image.sh) and mounts it (podman image mount), with a writable overlay;
# 2. starts the image's own ENTRYPOINT and CMD, with the image's environment, in a chroot of
#    that root: the entrypoint initialises PGDATA as the postgres user, its init script creates
#    the indexer's tables, the extension and the exporter's role, and the worker starts;
# 3. inserts the worked example the indexer's way (one transaction per block), waits for the
#    worker to apply it, and compares every state table with the spec's final state; then
#    marks the last block REVERTED and waits for the worker to revert it;
# 4. scrapes Debian's prometheus-sql-exporter (deploy/metrics/sql_exporter.yml) and
#    prometheus-postgres-exporter as the exporter role, checks every event_processor metric
#    against the metrics view, lets Debian's Prometheus scrape both with
#    deploy/metrics/prometheus.yml, checks the renamed event_processor_* series, and prints them;
# 5. stops the server with the image's STOPSIGNAL and starts it again on the same PGDATA as an
#    upgrade does (worker paused, ALTER EXTENSION UPDATE, worker resumed), with
#    EVENT_PROCESSOR_MODE=inline: no second initialisation, the new mode, and the re-mined last
#    block applied by the indexer's own transaction; then stops it and removes everything, also
#    on failure.
set -euo pipefail
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CRATE_DIR"
source scripts/lib/worked_example.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
log() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf 'test-image: FAILED: %s\n' "$*" >&2; exit 1; }
same_number() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits until "$@" succeeds, up to $DEADLINE seconds; the condition is polled, never assumed.
DEADLINE="${DEADLINE:-120}"
wait_for() {
  local what="$1"; shift
  local until=$((SECONDS + DEADLINE))
  until "$@"; do
    [ "$SECONDS" -lt "$until" ] || fail "timed out after ${DEADLINE}s waiting for $what"
    sleep 0.2
  done
}

[ "$(id -u)" = 0 ] || fail "needs root: it mounts the image and chroots into it (rootful podman)"
IMAGE_TAG="$(bash scripts/image.sh)"
WORK="$(mktemp -d /tmp/event-processor-image.XXXXXX)"
ROOT="$WORK/root"
SERVER_PID="" ; EXPORTER_PIDS=() ; STOPSIGNAL=INT   # read from the image below
cleanup() {
  set +e
  for pid in "${EXPORTER_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -"$STOPSIGNAL" "$SERVER_PID"; wait "$SERVER_PID"
  fi
  for m in "$ROOT/dev" "$ROOT/proc" "$ROOT"; do mountpoint -q "$m" && umount -R "$m"; done
  podman image unmount "$IMAGE_TAG" >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "mounting $IMAGE_TAG under a writable overlay in $WORK"
lower="$(podman image mount "$IMAGE_TAG")"
mkdir -p "$WORK/upper" "$WORK/overlay-work" "$ROOT"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$WORK/upper,workdir=$WORK/overlay-work" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"

# The image's own configuration: entrypoint, command, environment, stop signal.
inspect() { podman image inspect --format "$1" "$IMAGE_TAG"; }
mapfile -t entrypoint < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t command < <(inspect '{{range .Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t image_env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
STOPSIGNAL="$(inspect '{{.Config.StopSignal}}')"; STOPSIGNAL="${STOPSIGNAL:-SIGTERM}"; STOPSIGNAL="${STOPSIGNAL#SIG}"
[ "${#entrypoint[@]}" -gt 0 ] || fail "the image has no ENTRYPOINT"

# start_server LOG VAR=VALUE...: the image's entrypoint and command with the image's environment
# plus these variables, in the chroot, as a container runtime starts them; waits until it accepts
# TCP connections. stop_server: the image's STOPSIGNAL, and a clean shutdown is required.
start_server() {
  SERVER_LOG="$WORK/$1"; shift
  log "starting ${entrypoint[*]} ${command[*]} in the chroot (port $PORT): $*"
  env -i "${image_env[@]}" POSTGRES_PASSWORD="$PASSWORD" PGPORT="$PORT" "$@" \
    chroot "$ROOT" "${entrypoint[@]}" "${command[@]}" -c listen_addresses=127.0.0.1 \
    >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  wait_for "the server to accept TCP connections" server_up
  sed -n '/entrypoint\]\|event_processor:/p' "$SERVER_LOG" | sed 's/^/    /' >&2
}
server_up() {
  kill -0 "$SERVER_PID" 2>/dev/null || { sed 's/^/    /' "$SERVER_LOG" >&2; fail "the server exited"; }
  pg_isready -q -h 127.0.0.1 -p "$PORT"
}
stop_server() {
  log "stopping the server (SIG$STOPSIGNAL, the image's STOPSIGNAL)"
  kill -"$STOPSIGNAL" "$SERVER_PID"
  wait "$SERVER_PID" || fail "the server exited with status $? on SIG$STOPSIGNAL"
  SERVER_PID=""
  grep -q 'database system is shut down' "$SERVER_LOG" || fail "the server did not shut down cleanly"
}

PORT="$(free_port)"
PASSWORD="image-test-$RANDOM$RANDOM"
EXPORTER_PASSWORD="exporter-$RANDOM$RANDOM"
start_server first-start.log POSTGRES_DB=indexer EVENT_PROCESSOR_INDEXER_TABLES=create \
  EVENT_PROCESSOR_EXPORTER_PASSWORD="$EXPORTER_PASSWORD"

export PGPASSWORD="$PASSWORD"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d indexer)
q() { "${PSQL[@]}" -At -c "$1"; }

[ "$(q "SELECT extversion FROM pg_extension WHERE extname = 'event_processor'")" = \
  "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ] || fail "the extension is not installed in indexer"
mode="$(q 'SHOW event_processor.mode')"   # pgrx shows an enum's value capitalised
[ "${mode,,}" = worker ] || fail "event_processor.mode is $mode, not worker"
[ "$(q 'SHOW event_processor.worker_database')" = indexer ] || fail "worker_database is $(q "SHOW event_processor.worker_database"), not indexer"
worker_running() { [ "$(q 'SELECT worker_pid IS NOT NULL FROM event_processor.status()')" = t ]; }
wait_for "the worker to start" worker_running

log "the indexer inserts the worked example, one transaction per block; the worker applies it"
worked_example_fixture_sql | "${PSQL[@]}"
for block in $(worked_example_blocks); do worked_example_block_sql "$block" | "${PSQL[@]}"; done
last_block="$(worked_example_blocks | tail -1)"
applied_up_to() { [ "$(q "SELECT newest_applied_block = $1 AND blocks_behind = 0 FROM event_processor.status()")" = t ]; }
wait_for "the worker to apply block $last_block" applied_up_to "$last_block"

log "every state table against the spec's final state (tests/fixtures/worked_example/expected.tsv)"
dump_sql="$(cargo run -q -p event_processor_synth --bin state-dump-sql)"
# assert_final_state WHEN: every state row equals the spec's final state, row by row.
assert_final_state() {
  diff <("${PSQL[@]}" -At -c "$dump_sql" | LC_ALL=C sort) \
       <(awk -F'\t' '$1 == "final" { print $2 }' "$WORKED_EXAMPLE/expected.tsv" | LC_ALL=C sort) \
    || fail "$1 the state differs from the expected final state (< database, > expected)"
}
assert_final_state "after the worker applied the chain,"
rows="$(q "SELECT count(*) FROM ($dump_sql) d")"
echo "    $rows rows equal the expected final state" >&2

log "block $last_block is REVERTED: the worker reverts it"
q "UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = $last_block" >/dev/null
previous=$(worked_example_blocks | tail -2 | head -1)
wait_for "the worker to revert block $last_block" applied_up_to "$previous"
[ "$(q 'SELECT count(*) FROM event_processor.verify()')" = 0 ] || fail "verify() finds differences after the revert"

blocks=$(worked_example_blocks | wc -l)
events=$(wc -l <"$WORKED_EXAMPLE/events.tsv")
reverted_events=$(awk -F'\t' -v b="$last_block" '$2 == b' "$WORKED_EXAMPLE/events.tsv" | wc -l)
declare -A exact=([blocks_applied_total]="$blocks" [events_applied_total]="$events"
                  [blocks_reverted_total]=1 [events_reverted_total]="$reverted_events"
                  [newest_applied_block]="$previous" [blocks_behind]=0 [worker_up]=1 [halted]=0
                  [worker_in_error]=0)
for name in "${!exact[@]}"; do
  [ "$(q "SELECT $name FROM event_processor.metrics")" = "${exact[$name]}" ] \
    || fail "metrics view: $name is $(q "SELECT $name FROM event_processor.metrics"), expected ${exact[$name]}"
done

log "Prometheus: Debian's prometheus-sql-exporter and prometheus-postgres-exporter as event_processor_exporter"
DSN="postgres://event_processor_exporter:$EXPORTER_PASSWORD@127.0.0.1:$PORT/indexer?sslmode=disable"
SQL_EXPORTER_PORT="$(free_port)"; PG_EXPORTER_PORT="$(free_port)"
DATA_SOURCE_NAME="$DSN" prometheus-sql-exporter -config.file deploy/metrics/sql_exporter.yml \
  -web.listen-address "127.0.0.1:$SQL_EXPORTER_PORT" >"$WORK/sql-exporter.log" 2>&1 &
EXPORTER_PIDS+=($!)
DATA_SOURCE_NAME="$DSN" prometheus-postgres-exporter --web.listen-address="127.0.0.1:$PG_EXPORTER_PORT" \
  >"$WORK/postgres-exporter.log" 2>&1 &
EXPORTER_PIDS+=($!)

scrape() { curl -fsS "http://127.0.0.1:$1/metrics"; }
columns="$(q "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'event_processor.metrics'::regclass AND attnum > 0")"
# Each of the view's columns as sql_event_processor_<column>, one sample each.
sql_exporter_complete() {
  local text name
  text="$(scrape "$SQL_EXPORTER_PORT" 2>/dev/null)" || return 1
  for name in $columns; do grep -q "^sql_event_processor_${name}{" <<<"$text" || return 1; done
  printf '%s\n' "$text" >"$WORK/sql-exporter.metrics"
}
wait_for "prometheus-sql-exporter to export every column of event_processor.metrics" sql_exporter_complete
sample() { awk -v n="$2" '$1 ~ "^"n"[{ ]" { print $NF }' "$1"; }
view="$("${PSQL[@]}" -At -F ' ' -c "SELECT * FROM event_processor.metrics")"
read -r -a values <<<"$view"
i=0
for name in $columns; do
  got="$(sample "$WORK/sql-exporter.metrics" "sql_event_processor_$name")"
  want="${values[$i]}"; i=$((i + 1))
  [ "$name" = seconds_since_worker_wakeup ] && continue  # a clock: checked for presence only
  same_number "$got" "$want" || fail "sql_event_processor_$name is $got, the metrics view says $want"
done
for name in "${!exact[@]}"; do
  got="$(sample "$WORK/sql-exporter.metrics" "sql_event_processor_$name")"
  same_number "$got" "${exact[$name]}" || fail "sql_event_processor_$name is $got, expected ${exact[$name]}"
done
echo "    $(wc -w <<<"$columns") metrics equal the metrics view" >&2

postgres_exporter_up() { scrape "$PG_EXPORTER_PORT" 2>/dev/null >"$WORK/postgres-exporter.metrics" && grep -qx 'pg_up 1' "$WORK/postgres-exporter.metrics"; }
wait_for "prometheus-postgres-exporter to report pg_up 1" postgres_exporter_up

PROMETHEUS_PORT="$(free_port)"
sed -e "s/sql-exporter:9237/127.0.0.1:$SQL_EXPORTER_PORT/" -e "s/postgres-exporter:9187/127.0.0.1:$PG_EXPORTER_PORT/" \
    -e "s/scrape_interval: 15s/scrape_interval: 1s/" deploy/metrics/prometheus.yml >"$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$WORK/prometheus.log" 2>&1 &
EXPORTER_PIDS+=($!)
prom_query() {
  curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]; name = m.pop("__name__", "")
    labels = ",".join(k + "=" + json.dumps(v) for k, v in sorted(m.items()))
    print(name + "{" + labels + "} " + r["value"][1])'
}
prometheus_complete() {
  local name
  prom_query '{__name__=~"event_processor_.+"}' >"$WORK/prometheus.series" 2>/dev/null || return 1
  for name in $columns; do grep -q "^event_processor_${name}{" "$WORK/prometheus.series" || return 1; done
  prom_query 'pg_up' 2>/dev/null | grep -q ' 1$'
}
wait_for "Prometheus to scrape every event_processor_* series and pg_up" prometheus_complete
for name in $columns; do
  [ "$name" = seconds_since_worker_wakeup ] && continue
  got="$(awk -v n="event_processor_$name" '$1 ~ "^"n"{" { print $NF }' "$WORK/prometheus.series")"
  want="$(sample "$WORK/sql-exporter.metrics" "sql_event_processor_$name")"
  same_number "$got" "$want" || fail "Prometheus has event_processor_$name = $got, the exporter $want"
done
grep -q 'col=\|sql_job=' "$WORK/prometheus.series" && fail "the exporter's labels were not dropped"

log "the scrape: prometheus-sql-exporter's /metrics (event_processor)"
grep '^sql_event_processor_' "$WORK/sql-exporter.metrics" | sed 's/^/    /'
log "the same series in Prometheus after deploy/metrics/prometheus.yml's renaming"
LC_ALL=C sort "$WORK/prometheus.series" | sed 's/^/    /'
log "prometheus-postgres-exporter: $(grep -c '^pg_' "$WORK/postgres-exporter.metrics") pg_* samples, $(grep -x 'pg_up 1' "$WORK/postgres-exporter.metrics")"

for pid in "${EXPORTER_PIDS[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
EXPORTER_PIDS=()

# The upgrade of a running container (docs/deploy.md) on the same PGDATA, with this image as the
# new one: the worker paused with ALTER SYSTEM, the server stopped and started again, here with
# EVENT_PROCESSOR_MODE=inline, the extension updated, the worker resumed. The init scripts must not
# run again, the variables must be read again, and the last block made MINED again must be
# applied by the indexer's own transaction (inline), back to the spec's final state.
log "restart on the same PGDATA, as an upgrade of the container does (docs/deploy.md)"
alter_system() { q "ALTER SYSTEM $1" >/dev/null && q "SELECT pg_reload_conf()" >/dev/null; }
alter_system "SET event_processor.worker_enabled = off"
stop_server
start_server second-start.log POSTGRES_DB=indexer EVENT_PROCESSOR_MODE=inline
grep -q 'initdb\|event_processor: CREATE' "$SERVER_LOG" && fail "the init scripts ran again on an existing PGDATA"
mode="$(q 'SHOW event_processor.mode')"
[ "${mode,,}" = inline ] || fail "event_processor.mode is $mode after a restart with EVENT_PROCESSOR_MODE=inline"
"${PSQL[@]}" -c 'ALTER EXTENSION event_processor UPDATE' 2>&1 | sed 's/^/    /' >&2
alter_system "RESET event_processor.worker_enabled"
[ "$(q 'SHOW event_processor.worker_enabled')" = on ] || fail "the worker was not resumed"
wait_for "the worker to start again" worker_running
q "UPDATE starknet_blocks SET status = 'MINED' WHERE block_number = $last_block" >/dev/null
[ "$(q "SELECT newest_applied_block FROM event_processor.status()")" = "$last_block" ] \
  || fail "block $last_block made MINED again was not applied inline"
assert_final_state "after the restart,"
echo "    block $last_block applied inline after the restart; the state equals the expected final state" >&2
stop_server
log "test-image: passed ($IMAGE_TAG)"
