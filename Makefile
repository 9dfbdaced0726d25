# event_processor — see README.md. Every target works on a fresh Debian 12 machine as root.
PG_MAJOR   ?= 15
PG_CONFIG  ?= /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config
SETUP_STAMP = target/.setup-done
CARGO      ?= cargo

.PHONY: setup test test-pure test-pg test-worker-crash fuzz install package image test-image demo bench bench-chain fmt lint clean

## setup: install Debian packages, sudo, cargo-pgrx 0.18.1, and `cargo pgrx init` (idempotent)
setup:
	bash scripts/setup.sh
	@mkdir -p target && touch $(SETUP_STAMP)

$(SETUP_STAMP): scripts/setup.sh
	bash scripts/setup.sh
	@mkdir -p target && touch $(SETUP_STAMP)

## test: every test: the pure crates' (tests/, plain cargo test), the in-database ones
## (pgrx-tests/, `cargo pgrx test`), then the worker's crash test on a cluster of its own
test: $(SETUP_STAMP) test-pure test-pg test-worker-crash

## test-pure: the pure crates' tests (crates/protocol, crates/synth; files in tests/): plain
## `cargo test`, no PostgreSQL, no setup
PURE = -p event_processor_protocol -p event_processor_synth
test-pure:
	$(CARGO) test $(PURE)

## fuzz: the decoder and handlers over 1,000,000 malformed events (tests/fuzz.rs; `make test`
## runs 100,000), plus the regression corpus in tests/fixtures/fuzz/
fuzz:
	FUZZ_CASES=$${FUZZ_CASES:-1000000} $(CARGO) test -p event_processor_synth --test fuzz -- --nocapture

## test-pg: the in-database tests in pgrx-tests/ (throw-away cluster run as `postgres`)
test-pg: $(SETUP_STAMP)
	bash scripts/pgrx-test.sh

## test-worker-crash: the worker under SIGKILL and a hard server stop, a backend killed during
## revert, the postmaster killed during processing (own cluster)
test-worker-crash: $(SETUP_STAMP)
	bash scripts/worker-crash-test.sh

## install: build (release) and install the extension into the local PostgreSQL $(PG_MAJOR)
install: $(SETUP_STAMP)
	$(CARGO) pgrx install --release --pg-config $(PG_CONFIG) --sudo

## image: the container image (Containerfile): postgres:15-bookworm, or a local base built from
## Debian's packages when that cannot be pulled, plus the package and the worker (docs/deploy.md)
image: package
	bash scripts/image.sh

## test-image: builds the image, runs its entrypoint in a chroot of the mounted image, inserts the
## worked example, checks the worker's state and the Prometheus scrape, and prints the metrics
test-image: package
	bash scripts/test-image.sh

## demo: the worked example on a throw-away local cluster (see README)
demo: $(SETUP_STAMP)
	bash scripts/demo.sh

## package: release build as target/event_processor-VERSION-pg15-ARCH.tar.gz (cargo pgrx package)
package: $(SETUP_STAMP)
	bash scripts/package.sh

## bench: figures on a synthetic chain (processing and revert costs); see BENCHMARKS.md
bench: $(SETUP_STAMP)
	bash scripts/bench.sh

## bench-chain: the real chain's shape: a long chain of mostly empty blocks (catch-up, trigger
## path overhead, flatness, memory); CHAIN_BLOCKS=1000000 for the full size (see BENCHMARKS.md)
bench-chain: $(SETUP_STAMP)
	bash scripts/bench-chain.sh

fmt:
	$(CARGO) fmt --all

lint: $(SETUP_STAMP)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --no-default-features --features "pg$(PG_MAJOR) pg_test" -- -D warnings
	$(CARGO) clippy --all-targets $(PURE) -- -D warnings

clean:
	$(CARGO) clean
