# hientai: run `make help` for the list of targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
DEMO_DIR ?= data/demo-extract
DEMO_PEOPLE ?= 20000
DEMO_EXTERNAL ?= 1000
DEMO_AS_OF ?= 2026-01-01
# Prefect keeps its local database with the project's data, not in the home folder, and sends
# no telemetry (the machine may have no internet). Its temporary local API gets 180 s to start
# (its first start migrates a database; Prefect's default of 20 s fails on a busy machine).
export PREFECT_HOME ?= $(CURDIR)/data/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint typecheck format docs notebooks bench bench-national clean scheduler scheduler-down

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	@# Compiled at install: otherwise every process compiles what it imports (prefect, mlflow,
	@# sklearn...) until it can write the bytecode itself, and never where it cannot
	@# (PYTHONDONTWRITEBYTECODE, a read-only install): a night's imports took 12-13.5 s so, 5.5 s
	@# compiled (docs/benchmarks.md).
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Prefect's local database is migrated once here, so no flow's first start has to (the first
# migration takes up to a minute on a busy machine); again after every reinstall.
PREFECT_MIGRATED := $(PREFECT_HOME)/.migrated
$(PREFECT_MIGRATED): $(STAMP)
	mkdir -p $(PREFECT_HOME)
	$(BIN)/prefect server database upgrade -y >/dev/null
	touch $@

setup: $(STAMP) $(PREFECT_MIGRATED) ## Create .venv, install the pinned dependencies from requirements.lock, migrate Prefect's local database

demo: setup ## Generate a 20,000-person extract, ingest, train (if no champion), run one night, measure it
	mkdir -p $(PREFECT_HOME)
	$(BIN)/hientai generate --people $(DEMO_PEOPLE) --external $(DEMO_EXTERNAL) --years 10 --seed 7 --out $(DEMO_DIR) --overwrite
	$(BIN)/hientai ingest $(DEMO_DIR)
	$(BIN)/hientai models champion >/dev/null 2>&1 || $(BIN)/hientai train --truth $(DEMO_DIR)/truth/truth.parquet
	$(BIN)/hientai nightly --as-of $(DEMO_AS_OF)
	@# Synthetic data knows the truth: does the night find real merit, equally for every group?
	$(BIN)/hientai merit --truth $(DEMO_DIR)/truth/truth.parquet
	@# Demo accounts for the review app: a new password, printed once, on every run.
	@for account in demo-planner:planner demo-auditor:auditor; do \
	  name=$${account%%:*}; role=$${account##*:}; \
	  if $(BIN)/hientai users list | cut -f1 | grep -qx "$$name"; then \
	    $(BIN)/hientai users reset "$$name"; else $(BIN)/hientai users add "$$name" --role "$$role"; fi; \
	done
	@echo "Open the review app: $(BIN)/hientai serve, then http://127.0.0.1:8765/ and sign in as"
	@echo "demo-planner (decisions) or demo-auditor (reveals, audit log) with the password above."

scheduler: setup ## Scheduled runs: local Prefect server, work pool, every deployment, a worker
	$(BIN)/hientai schedule up

scheduler-down: setup ## Stop the scheduler's worker (and its running flows) and server
	$(BIN)/hientai schedule down

test: setup lint typecheck ## Lint, type-check and run the whole test suite
	mkdir -p $(PREFECT_HOME)
	@# The review app's browser tests drive Debian's chromium (Playwright cannot download one here).
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	$(BIN)/pytest -n 2 --dist loadgroup -q

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy on the core package, features, models and pipelines
	$(BIN)/mypy

format: setup ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: setup ## Regenerate docs/data-contract.md and docs/feature-catalog.md
	$(BIN)/hientai contract docs --out docs/data-contract.md
	$(BIN)/hientai catalog docs --out docs/feature-catalog.md

notebooks: setup ## Rebuild notebooks/*.ipynb from their sources in notebooks/src/
	for src in notebooks/src/*.py; do \
	  $(BIN)/jupytext --quiet --to ipynb --output notebooks/$$(basename $${src%.py}).ipynb $$src; \
	done

bench: setup ## Run the 1,000,000-person benchmarks (minutes; writes under data/bench)
	mkdir -p $(PREFECT_HOME)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_features.py --data data/bench/data --as-of 2024-01-01
	$(BIN)/python benchmarks/bench_train.py --data data/bench/data
	$(BIN)/python benchmarks/bench_nightly.py --data data/bench/data

bench-national: bench ## `bench`, then a night after 1% of records changed and the Dask engine (an hour or more)
	$(BIN)/python benchmarks/bench_changes.py --data data/bench/data --extract data/bench/extract
	$(BIN)/python benchmarks/bench_dask.py --data data/bench/data --repeat 1

clean: ## Remove the virtualenv and generated data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
