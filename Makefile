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
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the processor with its dev tools

run: $(STAMP) ## Run receiver + worker + beat on the embedded defaults (SQLite store and broker)
	$(BIN)/wix-meetings run

services: ## Make sure the test servers run (PostgreSQL, Redis, Chromium), installing them if missing
	@bash scripts/ensure-test-services.sh
	@bash scripts/ensure-chromium.sh

lint: $(STAMP) ## ruff format --check and ruff check
	$(BIN)/ruff format --check processor workers tests bench
	$(BIN)/ruff check processor workers tests bench

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format processor workers tests bench
	$(BIN)/ruff check --fix processor workers tests bench

test: $(STAMP) services lint ## Set up and run the whole test suite (real PostgreSQL, Redis, Celery, SMTP, fake Wix)
	$(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider

check: test ## Alias of test

bench: $(STAMP) ## Ingest benchmark on loopback (bench/README.md)
	bash bench/run-ingest.sh

.PHONY: help install run services lint fmt test check bench
