#!/usr/bin/env bash
# Runs the in-database tests (pgrx-tests/ plus everything else `cargo test` finds) against
# Debian's PostgreSQL 15. PostgreSQL refuses to run as root, so the throw-away test cluster
# runs as the `postgres` OS user (cargo pgrx test --runas). Extra arguments are passed to
# `cargo pgrx test` (e.g. a test name filter).
#
# Knobs: PG_MAJOR (15), PG_TEST_USER (postgres), PGRX_TEST_PGDATA (/tmp/event-processor-pgdata),
#        PGRX_TEST_LOCK (/tmp/event-processor-test.lock)
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_TEST_USER="${PG_TEST_USER:-postgres}"
PGRX_TEST_PGDATA="${PGRX_TEST_PGDATA:-/tmp/event-processor-pgdata}"
PGRX_TEST_LOCK="${PGRX_TEST_LOCK:-/tmp/event-processor-test.lock}"
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# One run at a time per machine: each run reinstalls event_processor.so in place, which
# crashes any other test server that has it mapped.
exec 9>"$PGRX_TEST_LOCK"
flock 9

# The cluster's parent directory must belong to the server user; remove leftovers of killed runs.
$SUDO install -d -o "$PG_TEST_USER" -g "$PG_TEST_USER" -m 0755 "$PGRX_TEST_PGDATA"
for d in "$PGRX_TEST_PGDATA"/*/; do
  [ -d "$d" ] || continue
  sudo -u "$PG_TEST_USER" "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1 || true
  $SUDO rm -rf "$d"
done

cd "$CRATE_DIR"
# Earlier releases' install scripts, for the upgrade test (pgrx-tests/upgrade.rs): CREATE
# EXTENSION ... VERSION '0.1.0' needs them next to the current one.
$SUDO install -m 0644 sql/archive/event_processor--*.sql \
  "$("/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" --sharedir)/extension/"
echo "==> cargo pgrx test pg${PG_MAJOR} --runas ${PG_TEST_USER} --pgdata ${PGRX_TEST_PGDATA} $*" >&2
cargo pgrx test "pg${PG_MAJOR}" --runas "$PG_TEST_USER" --pgdata "$PGRX_TEST_PGDATA" "$@" 9>&-
