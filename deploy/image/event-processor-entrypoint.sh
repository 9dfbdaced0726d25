#!/usr/bin/env bash
# The image's entrypoint: the base image's own (docker-entrypoint.sh) with the server options
# event_processor needs, taken from the environment at every start:
#
#   EVENT_PROCESSOR_PRELOAD  shared_preload_libraries (event_processor; add others comma-separated)
#   EVENT_PROCESSOR_DB       event_processor.worker_database (default: POSTGRES_DB, else POSTGRES_USER;
#                            exported resolved, for the init script)
#   EVENT_PROCESSOR_MODE     event_processor.mode: worker (default) or inline (docs/deployments.md)
#
# They go right after `postgres`, so that options given to the container's command come later
# and win, as `-c` options do in the official image. An ALTER DATABASE ... SET
# event_processor.mode overrides the server-wide mode for that database.
set -Eeuo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ]; then
  export EVENT_PROCESSOR_DB="${EVENT_PROCESSOR_DB:-${POSTGRES_DB:-${POSTGRES_USER:-postgres}}}"
  case "${EVENT_PROCESSOR_MODE:-worker}" in
    worker|inline) ;;
    *) echo "event-processor-entrypoint: EVENT_PROCESSOR_MODE must be worker or inline, not '$EVENT_PROCESSOR_MODE'" >&2; exit 1 ;;
  esac
  shift
  set -- postgres \
    -c shared_preload_libraries="${EVENT_PROCESSOR_PRELOAD:-event_processor}" \
    -c event_processor.worker_database="$EVENT_PROCESSOR_DB" \
    -c event_processor.mode="${EVENT_PROCESSOR_MODE:-worker}" \
    "$@"
fi
exec docker-entrypoint.sh "$@"
