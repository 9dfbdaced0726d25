#!/usr/bin/env bash
# The local base image's entrypoint (make image, offline). It keeps the contract of the official
# postgres image's entrypoint, which this repository does not ship, so that the same Containerfile
# and the same environment work on either base:
#
#   * POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER
#     (postgres), POSTGRES_DB (= POSTGRES_USER), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD
#     (scram-sha-256), PGDATA, PGPORT;
#   * started as root, it prepares PGDATA and the socket directory and re-executes itself as the
#     postgres user;
#   * on an empty PGDATA: initdb, then a temporary server listening on the socket only (with the
#     command's own -c options, so preloaded libraries load), POSTGRES_DB, every file of
#     /docker-entrypoint-initdb.d in name order (*.sh executed if executable, else sourced; *.sql
#     run by psql in POSTGRES_DB), and a clean stop;
#   * then `exec postgres ...`: the server is the container's main process and stops on SIGINT.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%F %T UTC')" "$*" >&2; }

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${PGDATA:=/var/lib/postgresql/data}"
export POSTGRES_USER POSTGRES_DB PGDATA

# A first argument that is an option means "postgres with these options".
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 00700 "$PGDATA"
  chmod 03775 /var/run/postgresql
  # Only what is not the server's yet: a large existing PGDATA is not walked through chown.
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

run_init_file() {
  local file="$1"
  case "$file" in
    *.sh)
      if [ -x "$file" ]; then log "running $file"; "$file"
      else log "sourcing $file"; . "$file"; fi ;;
    *.sql) log "running $file"; psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$file" ;;
    *) log "ignoring $file" ;;
  esac
}

initialise() {
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "error: the database is uninitialised and POSTGRES_PASSWORD is not set"
    log "       (set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one)"
    exit 1
  fi
  log "initdb in $PGDATA"
  local pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # The temporary server: the socket only, so that no client sees a half-initialised database.
  local options
  options="$(printf '%q ' "${@:2}" -c listen_addresses= -p "${PGPORT:-5432}")"
  pg_ctl -D "$PGDATA" -o "$options" -w start >/dev/null
  export PGPASSWORD="${POSTGRES_PASSWORD:-}"
  if [ "$POSTGRES_DB" != postgres ]; then
    log "CREATE DATABASE $POSTGRES_DB"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
      -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"' >/dev/null
  fi
  local file
  for file in /docker-entrypoint-initdb.d/*; do
    [ -e "$file" ] && run_init_file "$file"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD
  log "initialisation complete"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then initialise "$@"; fi
exec "$@"
