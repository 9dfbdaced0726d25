#!/usr/bin/env bash
# `make image`: PostgreSQL 15 with event_processor and its worker (Containerfile), tagged
# $IMAGE_TAG and localhost/event-processor:latest. Needs `make package`'s archive in target/.
#
# IMAGE_BASE chooses the base:
#   auto (default)  the official docker.io/library/postgres:15-bookworm if it is here or can be
#                   pulled, else the local base (scripts/base-image.sh, Debian's packages only)
#   official        the official image; fails if it cannot be pulled
#   local           the local base
#   <reference>     any image of the official layout
set -euo pipefail
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CRATE_DIR"
PG_MAJOR="${PG_MAJOR:-15}"
OFFICIAL="docker.io/library/postgres:${PG_MAJOR}-bookworm"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
arch="$(dpkg --print-architecture 2>/dev/null || uname -m)"
package="event_processor-${version}-pg${PG_MAJOR}-${arch}.tar.gz"
IMAGE_TAG="${IMAGE_TAG:-localhost/event-processor:${version}}"
log() { printf '==> %s\n' "$*" >&2; }

[ -f "target/$package" ] || { echo "image: target/$package is missing (make package)" >&2; exit 1; }

pull_official() {
  podman image exists "$OFFICIAL" && return 0
  log "podman pull $OFFICIAL"
  timeout 120 podman pull --quiet "$OFFICIAL" >/dev/null 2>&1
}
case "${IMAGE_BASE:-auto}" in
  auto)
    if pull_official; then base="$OFFICIAL"
    else log "$OFFICIAL cannot be pulled here: the local base (Debian's packages) instead"
         base="$(bash scripts/base-image.sh)"; fi ;;
  official) pull_official || { echo "image: cannot pull $OFFICIAL" >&2; exit 1; }; base="$OFFICIAL" ;;
  local) base="$(bash scripts/base-image.sh)" ;;
  *) base="$IMAGE_BASE" ;;
esac

log "podman build: $IMAGE_TAG on $base"
podman build --quiet --isolation chroot --network host \
  --build-arg BASE="$base" --build-arg PACKAGE="$package" \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.base.name="$base" \
  -f Containerfile -t "$IMAGE_TAG" -t localhost/event-processor:latest . >/dev/null
log "$IMAGE_TAG ($(podman image inspect --format '{{.Size}}' "$IMAGE_TAG" | numfmt --to=iec) on $base)"
echo "$IMAGE_TAG"
