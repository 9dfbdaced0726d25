# Shared by demo.sh and bench.sh: install the extension, run a throw-away PostgreSQL cluster
# as the `postgres` OS user on a free port, and remove it on exit. Source it; then call
#   install_extension [--release]   start_cluster   (psql via "${PSQL[@]}")
# Knobs: PG_MAJOR (15), PG_USER (postgres), KEEP_CLUSTER=1 (leave it running).

PG_MAJOR="${PG_MAJOR:-15}"
PG_USER="${PG_USER:-postgres}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

# Run a command as the server's OS user (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else sudo -u "$PG_USER" "$@"; fi
}

# Installing replaces event_processor.so in place; never under a running test server.
install_extension() {
  exec 9>"${PGRX_TEST_LOCK:-/tmp/event-processor-test.lock}"
  flock 9
  log "installing the extension (cargo pgrx install $*)"
  local install_log
  install_log="$(mktemp)"
  if ! (cd "$CRATE_DIR" && cargo pgrx install --pg-config "$PG_BIN/pg_config" --sudo "$@" 9>&- >"$install_log" 2>&1); then
    cat "$install_log" >&2
    exit 1
  fi
  rm -f "$install_log"
}

# Starts the cluster in a new temporary directory; sets DIR, PORT and PSQL (database demo).
start_cluster() {
  DIR="$(mktemp -d /tmp/event-processor-cluster.XXXXXX)"
  chmod 0755 "$DIR"
  $SUDO chown "$PG_USER" "$DIR"
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  trap stop_cluster EXIT
  log "starting a throw-away cluster in $DIR on port $PORT"
  as_pg "$PG_BIN/initdb" -D "$DIR/data" --auth=trust -U "$PG_USER" --locale=C.UTF-8 >/dev/null
  printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n%s\n" \
    "$PORT" "$DIR" "${EXTRA_CONF:-}" | as_pg tee -a "$DIR/data/postgresql.conf" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$PG_USER")
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE demo'
  PSQL+=(-d demo)
}

stop_cluster() {
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    log "cluster left running: psql -h 127.0.0.1 -p $PORT -U $PG_USER demo"
    echo "    stop it with: sudo -u $PG_USER $PG_BIN/pg_ctl -D $DIR/data stop && rm -rf $DIR" >&2
    return
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  $SUDO rm -rf "$DIR"
}

# Builds the synth-chain tool (release, crates/synth) and prints the binary's path.
build_synth_chain() {
  (cd "$CRATE_DIR" && cargo build --quiet --release -p event_processor_synth --bin synth-chain)
  echo "${CARGO_TARGET_DIR:-$CRATE_DIR/target}/release/synth-chain"
}

# For the benchmarks, after start_cluster: psql on any database of the cluster ("${SQL[@]}" -d
# db), one value of a query (q db sql), the time (now), arithmetic (calc expr).
bench_helpers() {
  SQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$PG_USER")
}
q() { "${SQL[@]}" -d "$1" -Atc "$2"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
# The server settings PROFILE=1 adds: pg_stat_statements, nested statements included.
profile_conf() {
  [ "${PROFILE:-0}" = 1 ] && printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
  return 0
}
