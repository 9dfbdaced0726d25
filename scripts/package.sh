#!/usr/bin/env bash
# `make package`: a release build packaged for PostgreSQL 15 (cargo pgrx package), as a tarball
# whose paths are those of Debian's PostgreSQL packages (usr/lib/postgresql/15/lib,
# usr/share/postgresql/15/extension): extract it at / on the server (docs/installation.md "Install into a
# PostgreSQL 15 server"). Checks that the archive holds the library, the control file, this version's
# install script and every upgrade script, and that the library holds no simulator code.
set -euo pipefail
PG_MAJOR="${PG_MAJOR:-15}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
CRATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$CRATE_DIR"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
arch="$(dpkg --print-architecture 2>/dev/null || uname -m)"
out="target/package/event_processor-pg${PG_MAJOR}"
archive="target/event_processor-${version}-pg${PG_MAJOR}-${arch}.tar.gz"

rm -rf "$out"
echo "==> cargo pgrx package --pg-config $PG_CONFIG --out-dir $out" >&2
cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$out" >/dev/null
tar -czf "$archive" -C "$out" .

listing="$(tar -tzf "$archive")"
libdir="$("$PG_CONFIG" --pkglibdir)"
extdir="$("$PG_CONFIG" --sharedir)/extension"
expect=("${libdir#/}/event_processor.so" "${extdir#/}/event_processor.control"
        "${extdir#/}/event_processor--${version}.sql")
for upgrade in sql/event_processor--*--*.sql; do expect+=("${extdir#/}/$(basename "$upgrade")"); done
for file in "${expect[@]}"; do
  grep -qx "\./$file" <<<"$listing" || { echo "package: $file missing from $archive" >&2; exit 1; }
done
# The simulator (crates/synth) is for the tests and benchmarks only: none of it may ship.
# (The symbols are read whole first: grep -q stops early, and nm's SIGPIPE would fail the
# pipeline under pipefail.)
so="$out/${libdir#/}/event_processor.so"
symbols="$(nm -C --defined-only "$so")"
if grep -q 'event_processor_synth::' <<<"$symbols"; then
  echo "package: $so holds simulator symbols (event_processor_synth)" >&2; exit 1
fi
grep -q 'event_processor_protocol::' <<<"$symbols" \
  || { echo "package: $so has no protocol symbols: is the check looking at the right file?" >&2; exit 1; }
echo "==> $archive ($(du -h "$archive" | cut -f1)):" >&2
grep -v '/$' <<<"$listing" | sed 's/^/    /' >&2
