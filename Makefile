# Every target builds .venv from nothing when needed, and rebuilds it when pyproject.toml changes. It holds the
# `emulator` extra too: `make run` without a token (local mode) and `make test` need the built-in Discord emulator.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run local test lint typecheck unit e2e soak bench validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,emulator]'
	touch $(STAMP)

install: $(STAMP)

## Start the bot: against Discord when DISCORD_TOKEN is set, otherwise in local mode against the built-in emulator.
run: $(STAMP)
	$(BIN)/imgbot run

## Every check CI runs: lint, types, data validation, unit and end-to-end tests.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/imgbot kb validate
	$(BIN)/pytest -q -m "not soak"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/imgbot kb validate

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

soak: $(STAMP)
	$(BIN)/pytest -q -s -m soak

bench: $(STAMP)
	$(BIN)/python bench/kb_search.py
	$(BIN)/python bench/e2e_latency.py
	$(BIN)/python bench/ask_load.py
	$(BIN)/python bench/startup_memory.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/fanout.py --fail-rate 0.01
	$(BIN)/python bench/fanout.py --rate-limited 0.01

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
