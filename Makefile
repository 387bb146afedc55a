# Two commands on a fresh machine: `make run` then `make test` (see README).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(abspath .dagster_home)

.PHONY: run test test-training ui install ingest-goog bench clean chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: this exact pin takes the local CPU wheel instead of GBs of CUDA packages
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

## materialize the whole asset graph on the built-in synthetic market
run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m execution_assets.cli run

## ingest the real GOOG 2012-06-21 LOBSTER day from ../shared/data/lobster
ingest-goog: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(PY) -m execution_assets.cli ingest ../shared/data/lobster

test: $(STAMP) $(DAGSTER_HOME)/dagster.yaml chromium
	$(PY) -m pytest -q -m "not training and not timing"

## the RL acceptance suite (trains PPO, SAC and DQN to the issue's bars; ~20 min on 2 cores)
## and the wall-clock concurrency test (needs idle cores)
test-training: $(STAMP)
	$(PY) -m pytest -q -m "training or timing"

## headless Chromium + chromedriver for the browser test (tests/e2e), from Debian; skipped when present
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
		|| echo "chromium could not be installed: the browser test will be skipped"; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
		|| echo "chromium could not be installed: the browser test will be skipped"; \
	else echo "chromium missing and apt-get needs root: the browser test will be skipped"; fi

## the Dagster UI on http://127.0.0.1:3000 with persistent run history in DAGSTER_HOME
ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: $(STAMP)
	$(PY) -m benchmarks.bench_market_features

clean:
	rm -rf data .dagster_home
