#!/usr/bin/env bash
# The local base image for `make image` when the official postgres:15-bookworm cannot be pulled
# (no registry for images): Debian 12 with Debian's postgresql-15 from Debian's own packages
# (mmdebstrap, minbase, no main cluster), imported into podman as $ROOTFS_TAG, then
# deploy/base/Containerfile on top of it (the official image's layout and entrypoint contract)
# as $BASE_TAG. Built once; REBUILD_BASE=1 builds it again.
#
# Knobs: DEBIAN_MIRROR (http://deb.debian.org/debian), PG_MAJOR (15), REBUILD_BASE (0).
set -euo pipefail
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CRATE_DIR"
PG_MAJOR="${PG_MAJOR:-15}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_TAG="localhost/event-processor-rootfs:bookworm-pg${PG_MAJOR}"
BASE_TAG="${BASE_TAG:-localhost/event-processor-base:${PG_MAJOR}-bookworm}"
log() { printf '==> %s\n' "$*" >&2; }

if [ "${REBUILD_BASE:-0}" != 1 ] && podman image exists "$BASE_TAG"; then
  log "local base $BASE_TAG exists (REBUILD_BASE=1 builds it again)"
  echo "$BASE_TAG"; exit 0
fi

if [ "${REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$ROOTFS_TAG"; then
  security="${MIRROR%/debian}/debian-security"
  log "mmdebstrap: Debian 12 + postgresql-${PG_MAJOR} from $MIRROR (about 1 min)"
  # Debian's postgresql-common creates a cluster at install; the official image's layout has
  # none (the entrypoint runs initdb in PGDATA), so its createcluster.d says so before install.
  mmdebstrap --quiet --variant=minbase \
    --aptopt='APT::Install-Recommends "false"' \
    --include="postgresql-${PG_MAJOR},postgresql-client-${PG_MAJOR},tzdata" \
    --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/no-main-cluster.conf"' \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/var/cache/apt/*' \
    bookworm - \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" "deb $security bookworm-security main" \
    | podman import --quiet - "$ROOTFS_TAG" >/dev/null
fi
log "podman build: $BASE_TAG (deploy/base/Containerfile)"
podman build --quiet --isolation chroot --network host --build-arg ROOTFS="$ROOTFS_TAG" \
  -f deploy/base/Containerfile -t "$BASE_TAG" . >/dev/null
echo "$BASE_TAG"
