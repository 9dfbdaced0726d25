#!/usr/bin/env bash
# Install everything a fresh Debian 12 machine lacks to build and test event_processor:
# Debian's PostgreSQL 15 server + headers (same minor), libclang for bindgen, sudo (the test
# harness runs the server as the `postgres` OS user), cargo-pgrx at the exact pgrx version,
# and `cargo pgrx init` pointed at Debian's pg_config; podman, mmdebstrap, the Prometheus
# exporters and Prometheus for the image targets. Idempotent: installs only what is missing.
#
# Knobs: PG_MAJOR (15), PGRX_VERSION (0.18.1; must equal pgrx = "=X" in Cargo.toml).
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PGRX_VERSION="${PGRX_VERSION:-0.18.1}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*" >&2; }

# The packages of "$@" that are not installed, one per line.
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
apt_install() { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@" >/dev/null; }

# 1. Debian packages. Installed as one set so postgresql-N and postgresql-server-dev-N share a minor.
pkgs=("postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" "postgresql-client-${PG_MAJOR}"
      libclang-dev clang pkg-config sudo)
mapfile -t missing < <(missing_packages "${pkgs[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  apt_install --no-install-recommends "${pkgs[@]}"
fi
srv_ver="$(dpkg-query -W -f='${Version}' "postgresql-${PG_MAJOR}")"
dev_ver="$(dpkg-query -W -f='${Version}' "postgresql-server-dev-${PG_MAJOR}")"
if [ "$srv_ver" != "$dev_ver" ]; then
  log "postgresql-${PG_MAJOR} $srv_ver != postgresql-server-dev-${PG_MAJOR} $dev_ver; upgrading both"
  apt_install --no-install-recommends "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}"
fi

# 1b. The image tooling (make image, make test-image; docs/deploy.md): podman, mmdebstrap for the
# local base, the two exporters and Prometheus for the scrape, curl. With their recommends,
# as tested (podman's include the storage and network helpers).
mapfile -t missing < <(missing_packages podman mmdebstrap prometheus-sql-exporter \
                         prometheus-postgres-exporter prometheus curl)
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing ${missing[*]} (image tooling)"
  apt_install "${missing[@]}"
fi

# 2. cargo-pgrx, exactly the pgrx crate's version (0.19.x needs rustc >= 1.96).
if [ "$(cargo pgrx --version 2>/dev/null || true)" != "cargo-pgrx ${PGRX_VERSION}" ]; then
  log "cargo install cargo-pgrx ${PGRX_VERSION} (about 2.5 min on 2 cores)"
  cargo install --locked --quiet cargo-pgrx --version "${PGRX_VERSION}"
fi

# 3. Point pgrx at Debian's pg_config (writes ~/.pgrx/config.toml; no download, no initdb).
pgrx_cfg="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
if ! grep -qsF "pg${PG_MAJOR} = \"${PG_CONFIG}\"" "$pgrx_cfg"; then
  log "cargo pgrx init --pg${PG_MAJOR} ${PG_CONFIG}"
  cargo pgrx init "--pg${PG_MAJOR}" "${PG_CONFIG}" >/dev/null
fi
log "setup complete: $(cargo pgrx --version), PostgreSQL $srv_ver"
