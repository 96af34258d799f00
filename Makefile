# Every target installs what it needs first (scripts/bootstrap.sh is idempotent and quiet when done).
PY := .venv/bin/python

.PHONY: setup test build bench profile demo node
setup:
	@scripts/bootstrap.sh

# The whole suite: unit, Wasm, RPC and end-to-end tests, in parallel workers (pytest-xdist).
# Most tests wait on a node's blocks rather than on the CPU, so workers outnumber cores;
# a whole test file runs in one worker, so its module fixtures are built once.
# `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 4
test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# contract/guard.py -> build/guard.wasm (cached by a hash of sources and build settings).
build: setup
	$(PY) -m guardctl.cli build

# Gas per call and wasm size, measured on the embedded node; also written to bench/results.json.
bench: setup build
	$(PY) -m bench

# Where each bench row's gas goes, step by step (a profiling build of the guard); also into bench/results.json.
profile: setup
	$(PY) -m bench.profile

# Build (cached), start a throwaway localnet, deploy router + guard, verify, rotate a key; gas per step.
demo: setup
	$(PY) scripts/demo.py

# The embedded NEAR node; `make node LOCALNET_PORT=3031 LOCALNET_HOME=/tmp/node` for another port or home.
LOCALNET_PORT ?= 3030
LOCALNET_HOME ?= $(HOME)/.localnet
node: setup
	.venv/bin/localnet run --port $(LOCALNET_PORT) --home $(LOCALNET_HOME)
