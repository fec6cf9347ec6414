# Self-documenting: `make help` lists the targets with their descriptions.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check --quiet
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint format seed bench browser

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/ld: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test]'
	touch $@

run: $(BIN)/ld ## start the service on SQLite with the demo data (prints the URL and token)
	$(BIN)/ld serve --demo --host $(HOST) --port $(PORT)

test: $(BIN)/ld browser ## install what the tests need and run them all (PostgreSQL too if LD_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

test-fast: $(BIN)/ld ## the development lane: every test but the browser and slow-model ones
	$(BIN)/pytest -m "not slow and not browser"

browser: ## Debian's chromium and CJK fonts for the page tests (skipped when present)
	bash .ci/install-browser

lint: $(BIN)/ld ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/ld ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

seed: $(BIN)/ld ## load the demo fixtures into the configured database (idempotent)
	$(BIN)/ld seed

bench: $(BIN)/ld ## measure speed and memory against the baselines (bench/README.md; ARGS=--quick)
	$(BIN)/python -m bench $(ARGS)
