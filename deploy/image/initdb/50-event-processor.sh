#!/usr/bin/env bash
# First start only (the base entrypoint runs /docker-entrypoint-initdb.d on an empty PGDATA):
# the worker's database (EVENT_PROCESSOR_DB, resolved by event-processor-entrypoint.sh) if it
# does not exist yet,
# CREATE EXTENSION event_processor in it, and the indexer's tables when
# EVENT_PROCESSOR_INDEXER_TABLES=create (with the from_address column; docs/installation.md),
# and, when EVENT_PROCESSOR_EXPORTER_PASSWORD is set, the login role event_processor_exporter
# for the Prometheus exporters (event_processor_reader: the metrics view; pg_monitor: the
# server's statistics).
set -Eeuo pipefail
database="${EVENT_PROCESSOR_DB:?EVENT_PROCESSOR_DB is set by event-processor-entrypoint.sh, the image entrypoint}"
run_sql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc -q --username "${POSTGRES_USER:-postgres}" "$@"
}
if [ -z "$(run_sql --dbname postgres -Atv db="$database" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
  echo "event_processor: CREATE DATABASE $database" >&2
  run_sql --dbname postgres -v db="$database" <<<'CREATE DATABASE :"db"'
fi
echo "event_processor: CREATE EXTENSION event_processor in $database" >&2
run_sql --dbname "$database" <<<'CREATE EXTENSION IF NOT EXISTS event_processor'
case "${EVENT_PROCESSOR_INDEXER_TABLES:-skip}" in
  create)
    echo "event_processor: the indexer's tables in $database" >&2
    run_sql --dbname "$database" <<<'SELECT event_processor.create_indexer_tables(with_from_address => true)' >/dev/null ;;
  skip) ;;
  *) echo "event_processor: EVENT_PROCESSOR_INDEXER_TABLES must be create or skip, not '$EVENT_PROCESSOR_INDEXER_TABLES'" >&2; exit 1 ;;
esac
if [ -n "${EVENT_PROCESSOR_EXPORTER_PASSWORD:-}" ]; then
  echo "event_processor: the login role event_processor_exporter" >&2
  run_sql --dbname "$database" -v password="$EVENT_PROCESSOR_EXPORTER_PASSWORD" \
    <<<"CREATE ROLE event_processor_exporter LOGIN PASSWORD :'password' IN ROLE event_processor_reader, pg_monitor"
fi
