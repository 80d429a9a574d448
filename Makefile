# Every target builds .venv from nothing when needed, and rebuilds it when pyproject.toml changes. It holds the
# `emulator` extra too: `make run` without a token (local mode) and `make test` need the built-in Discord emulator.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# How `make test` (and `make unit`, `make e2e`) run the tests: on 4 worker processes (pytest-xdist), then the few
# marked `alone` one at a time.
# - 4 workers on a 2-core machine: most of the suite's wall time is end-to-end tests waiting on a bot process and the
#   emulator (about 6 of its 14 serial minutes are CPU), so two workers per core keep both cores busy while tests
#   wait. More would only make the bot processes queue for a core, which the end-to-end tests' own clocks (Discord's
#   3 s to answer an interaction, a phase of a session that must outlast a restart) would feel first.
# - --dist loadfile: a test file is one unit of work, run on one worker, so a module's shared bot starts once.
#   (Not --dist loadgroup: with pytest 9.2 it silently stops grouping, pytest-xdist issue #1386.) Tests marked
#   `heavy` take a lock so that no two of them run at once on any worker (tests/conftest.py).
# - --no-loadscope-reorder: files start in collection order, the long end-to-end ones first, and the many short unit
#   test files fill in at the end, instead of a long file starting last and running alone.
# - Tests marked `alone` give a bot a head start of seconds before a post is due or bound a fan-out's wall time: with
#   three other workers starting bots beside them, a start can take longer than the head start, so they run after
#   the rest, one at a time, as the whole suite used to.
# One file, serially: .venv/bin/pytest -q tests/e2e/test_quiz_e2e.py (without -n, pytest runs in one process).
PARALLEL := -n 4 --dist loadfile --no-loadscope-reorder
# Extra pytest options for both phases, e.g. `make test PYTEST_ARGS=--durations=30` to list the slowest tests.
PYTEST_ARGS ?=
# The second phase collects tests/e2e only (collecting every test takes about 10 s of CPU), where `alone` is allowed.
# PYTHONDONTWRITEBYTECODE emptied: the tests start well over 150 bot and command-line processes, and where the
# environment says not to write bytecode, each compiles the bot's modules again (about 0.3 s of CPU) and each worker
# rewrites every test module's asserts again (about 5 s). The files go to __pycache__/ (ignored by git).
define pytest_in_two_phases
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -m "not soak and not alone" $(PARALLEL) $(PYTEST_ARGS) $(1)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -m "alone and not soak" $(PYTEST_ARGS) tests/e2e
endef

.PHONY: install run local test lint typecheck unit e2e soak bench validate clean postgres-programs

# The tests run every database test on PostgreSQL too, on throwaway servers of their own (tests/postgres_server.py),
# which need PostgreSQL's server programs (initdb, pg_ctl, postgres; pg_dump and pg_restore for backups). Debian keeps
# them in `pg_config --bindir`, outside PATH. When they are missing, install Debian's package; no default cluster is
# created or started (createcluster.conf), since the tests make their own.
PG_FOUND = $(shell { command -v initdb || ls "$$(pg_config --bindir 2>/dev/null)/initdb" || ls /usr/lib/postgresql/*/bin/initdb; } 2>/dev/null | head -n 1)
SUDO = $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

postgres-programs:
ifeq ($(PG_FOUND),)
	$(SUDO) mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | $(SUDO) tee /etc/postgresql-common/createcluster.conf >/dev/null
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
		|| { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; }
endif

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
test: $(STAMP) postgres-programs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/imgbot kb validate
	$(call pytest_in_two_phases)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/imgbot kb validate

unit: $(STAMP) postgres-programs
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q tests/unit $(PARALLEL) $(PYTEST_ARGS)

e2e: $(STAMP) postgres-programs
	$(call pytest_in_two_phases,tests/e2e)

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
