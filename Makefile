# wix-meetings-processor — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the processor and its dev tools into $(VENV) (log: $(VENV)/install.log)"
	@{ $(BIN)/python -m pip install --disable-pip-version-check --upgrade pip && \
	   $(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat; \
	 } > $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the processor with its dev tools

run: $(STAMP) ## Run receiver + worker + beat on the embedded defaults (SQLite store and broker)
	$(BIN)/wix-meetings run

services: ## Make sure the test servers run (PostgreSQL, Redis, Chromium), installing them if missing
	@bash scripts/ensure-test-services.sh
	@bash scripts/ensure-chromium.sh

lint: $(STAMP) ## ruff format --check, ruff check, mypy --strict
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases -p bench.soak -p bench.processing

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) services lint ## Set up and run the whole test suite (real PostgreSQL, Redis, Celery, SMTP, fake Wix), then soak-short
	$(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider
	@$(MAKE) --no-print-directory soak-short

check: test ## Alias of test

bench: $(STAMP) ## Ingest benchmark on loopback (bench/README.md)
	bash bench/run-ingest.sh

# PROCESSING_ARGS: e.g. --quick, --part drain-pg, --set WORKER_CONCURRENCY=8 (see bench/README.md#processing).
bench-processing: $(STAMP) ## Processing benchmark on loopback, ~5 min: drain, CPU per refund, 300 sites, rate window, latency
	PYTHONUNBUFFERED=1 $(BIN)/python -m bench.processing $(PROCESSING_ARGS)

# SOAK_ARGS: e.g. --seed 7 (another reproducible day), --lost-answer 0.01 (see bench/README.md#soak).
soak: $(STAMP) ## Fault soak at deployment scale, <= 15 min: 2 receivers, 3 workers, 2 beats, faults; exit 1 on a violation
	PYTHONUNBUFFERED=1 $(BIN)/python -m bench.soak $(SOAK_ARGS)

soak-short: $(STAMP) ## The ~2-minute fault soak (50 bookings, one of each fault); part of make test
	PYTHONUNBUFFERED=1 $(BIN)/python -m bench.soak --short $(SOAK_ARGS)

.PHONY: help install run services lint fmt test check bench bench-processing soak soak-short
