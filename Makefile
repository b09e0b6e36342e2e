# aiocql: `make` lists the targets. `make demo` and `make test` do all set-up themselves.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Bootstrap interpreter for the project venv (Python >= 3.10).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Cargo builds and Cassandra jars live outside the clone, so a fresh clone (and CI) reuses them.
export AIOCQL_CACHE ?= $(HOME)/.cache/aiocql
export CARGO_TARGET_DIR ?= $(AIOCQL_CACHE)/target
export VIRTUAL_ENV := $(abspath $(VENV))
export PYO3_PYTHON := $(abspath $(PY))
# `fastbuild` is optimised without LTO (quick to rebuild); `make bench` and wheels use release.
BUILD_PROFILE ?= fastbuild
# The test-node launcher (python/aiocql/testing); importing it needs the built package.
TESTCLUSTER := $(PY) -m aiocql.testing
PYTEST := $(PY) -m pytest
RUST_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "aiocql needs Python >= 3.10 (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create .venv with maturin, pytest, mypy, ruff (from PyPI)

$(VENV)/.built-$(BUILD_PROFILE): $(VENV)/.installed $(RUST_SOURCES) pyproject.toml
	@rm -f $(VENV)/.built-*
	$(VENV)/bin/maturin develop --quiet --profile $(BUILD_PROFILE)
	@touch $@

.PHONY: build
build: $(VENV)/.built-$(BUILD_PROFILE) ## Build the Rust core into .venv (editable install)

.PHONY: build-release
build-release: ## Build with the release profile (fat LTO), as benchmarks and wheels use
	$(MAKE) build BUILD_PROFILE=release

.PHONY: cassandra-fetch
cassandra-fetch: build ## Download the Cassandra 5.0 jars with Maven (cached in $AIOCQL_CACHE)
	$(TESTCLUSTER) fetch

.PHONY: cassandra-start
cassandra-start: build ## Start a local Cassandra node on 127.0.0.1:9042 (kept running)
	$(TESTCLUSTER) start

.PHONY: cassandra-stop
cassandra-stop: build ## Stop the local Cassandra node
	$(TESTCLUSTER) stop

.PHONY: demo
demo: build ## Run examples/quickstart.py against a local node (started if needed)
	$(TESTCLUSTER) run -- $(PY) examples/quickstart.py

.PHONY: format
format: venv ## Reformat Rust and Python sources
	cargo fmt
	$(VENV)/bin/ruff format python tests examples benchmarks tools/check_layers.py
	$(VENV)/bin/ruff check --fix python tests examples benchmarks tools/check_layers.py

.PHONY: lint
lint: build ## rustfmt, clippy, layer checks (Rust and Python), ruff, mypy --strict, stubtest
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	$(PY) tools/check_layers.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check python tests examples benchmarks tools/check_layers.py
	$(VENV)/bin/ruff format --check python tests examples benchmarks tools/check_layers.py
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest aiocql._native --allowlist tools/stubtest-allowlist.txt

.PHONY: test-rust
test-rust: venv ## Rust unit tests
	cargo test --quiet

.PHONY: test-unit
test-unit: build ## Python tests that need no server
	$(PYTEST) tests/unit

.PHONY: test-integration
test-integration: build ## Integration tests on a real node (then on an --auth node at its own address), asyncio and uvloop
	$(TESTCLUSTER) run -- $(MAKE) --no-print-directory integration-on-running-node
	$(TESTCLUSTER) run --auth -- $(MAKE) --no-print-directory integration-on-running-node

# Needs a node; `test-integration` starts one (and stops it if it started it).
.PHONY: integration-on-running-node
integration-on-running-node:
	AIOCQL_TEST_LOOP=asyncio $(PYTEST) tests/integration
	AIOCQL_TEST_LOOP=uvloop $(PYTEST) tests/integration

.PHONY: test-tls
test-tls: build ## Client TLS tests on a TLS-only node, then on one that requires client certificates
	$(TESTCLUSTER) run --tls -- $(MAKE) --no-print-directory tls-on-running-node TLS_TESTS=tests/tls/test_tls.py
	$(TESTCLUSTER) run --mtls -- $(MAKE) --no-print-directory tls-on-running-node TLS_TESTS=tests/tls/test_mtls.py

# Needs the node of a TLS profile; `test-tls` starts it.
.PHONY: tls-on-running-node
tls-on-running-node:
	AIOCQL_TEST_LOOP=asyncio $(PYTEST) $(TLS_TESTS) tests/tls/test_docs_security.py
	AIOCQL_TEST_LOOP=uvloop $(PYTEST) $(TLS_TESTS)

# The two-datacenter cluster of tests/datacenters: dc1 (nodes 1 and 2, racks 1 and 2), dc2 (node 3).
TWO_DCS := dc1:rack1,dc1:rack2,dc2:rack1

.PHONY: test-cluster
test-cluster: build ## Cluster tests: a 3-node cluster (routing, speculation; nodes killed, drained, restarted under load), then two datacenters
	$(TESTCLUSTER) run --nodes 3 -- $(PYTEST) tests/cluster
	$(TESTCLUSTER) run --nodes 3 --topology $(TWO_DCS) -- $(PYTEST) tests/datacenters

.PHONY: test
test: lint test-rust test-unit test-integration test-tls test-cluster ## Everything: lint, Rust tests, unit, integration, TLS and cluster tests

# Benchmarks: their own venv (peers from PyPI, aiocql as a release wheel) and Rust binaries,
# all cached outside the clone.
BENCH_VENV := $(AIOCQL_CACHE)/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_TARGET := $(AIOCQL_CACHE)/bench-target
BENCH_WHEELS := $(AIOCQL_CACHE)/bench-wheels
BENCH_ARGS ?=
STREAM_ARGS ?=

$(BENCH_VENV)/.installed: benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -r benchmarks/requirements.txt
	# async-cassandra declares Python >= 3.12 but runs on 3.11 (see benchmarks/README.md)
	$(BENCH_PY) -m pip install --quiet --no-deps --ignore-requires-python \
		$$(sed -n 's/^# --ignore-requires-python: //p' benchmarks/requirements.txt)
	@touch $@

.PHONY: bench-build
bench-build: venv $(BENCH_VENV)/.installed ## Build aiocql (release wheel) and the Rust bench binaries
	rm -rf $(BENCH_WHEELS)
	$(VENV)/bin/maturin build --quiet --release --interpreter $(BENCH_PY) --out $(BENCH_WHEELS)
	$(BENCH_PY) -m pip install --quiet --force-reinstall --no-deps $(BENCH_WHEELS)/aiocql-*.whl
	CARGO_TARGET_DIR=$(BENCH_TARGET) cargo build --quiet --release \
		--manifest-path benchmarks/rust_client/Cargo.toml
	CARGO_TARGET_DIR=$(BENCH_TARGET) cargo build --quiet --release \
		--manifest-path benchmarks/responder/Cargo.toml

.PHONY: bench
bench: build bench-build ## Every client side by side (about an hour); writes benchmarks/results/
	AIOCQL_BENCH_TARGET=$(BENCH_TARGET) $(TESTCLUSTER) run -- $(BENCH_PY) benchmarks/run.py $(BENCH_ARGS)
	$(TESTCLUSTER) run -- $(BENCH_PY) benchmarks/stream.py $(STREAM_ARGS)

# A second aiocql build, of git revision BASE, installed apart for `make bench-compare`.
BASE ?= HEAD
COMPARE_ARGS ?= --modes responder --workloads insert,point_read,wide_read --concurrency 256 --reps 9 --inflight 0
INSTRUCTIONS_ARGS ?=
COMPARE_OUT ?= benchmarks/results/compare
BENCH_BASE_DIR := $(AIOCQL_CACHE)/bench-base
# Evaluated only by bench-compare.
BASE_BUILD = $(BENCH_BASE_DIR)/$(shell git rev-parse --verify "$(BASE)^{commit}")

.PHONY: bench-compare
bench-compare: build bench-build ## This tree against the build of git revision BASE (default HEAD): CPU time side by side, and valgrind instruction counts; writes benchmarks/results/compare/ (COMPARE_OUT)
	if [ ! -f $(BASE_BUILD)/.installed ]; then \
		rm -rf $(BASE_BUILD) $(BASE_BUILD).src $(BASE_BUILD).wheel; \
		git worktree add --detach $(BASE_BUILD).src $(BASE); \
		$(VENV)/bin/maturin build --quiet --release --interpreter $(BENCH_PY) \
			--manifest-path $(BASE_BUILD).src/Cargo.toml --out $(BASE_BUILD).wheel; \
		$(BENCH_PY) -m pip install --quiet --no-deps --target $(BASE_BUILD) \
			$(BASE_BUILD).wheel/aiocql-*.whl; \
		git worktree remove --force $(BASE_BUILD).src; rm -rf $(BASE_BUILD).wheel; \
		touch $(BASE_BUILD)/.installed; \
	fi
	AIOCQL_BENCH_BASE=$(BASE_BUILD) AIOCQL_BENCH_TARGET=$(BENCH_TARGET) $(TESTCLUSTER) run -- \
		$(BENCH_PY) benchmarks/run.py --clients aiocql,aiocql-base \
		--out $(COMPARE_OUT) $(COMPARE_ARGS)
	$(BENCH_PY) benchmarks/compare.py $(COMPARE_OUT)/results.json
	AIOCQL_BENCH_BASE=$(BASE_BUILD) AIOCQL_BENCH_TARGET=$(BENCH_TARGET) $(TESTCLUSTER) run -- \
		$(BENCH_PY) benchmarks/instructions.py --out $(COMPARE_OUT) $(INSTRUCTIONS_ARGS)

.PHONY: bench-stream
bench-stream: build bench-build ## Only the streaming benchmark (1M rows per client); writes benchmarks/results/streaming.*
	$(TESTCLUSTER) run -- $(BENCH_PY) benchmarks/stream.py $(STREAM_ARGS)

.PHONY: clean
clean: ## Remove the venv and build outputs (keeps the cache in $AIOCQL_CACHE)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find python -name '*.so' -delete
