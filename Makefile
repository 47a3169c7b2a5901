# Sinau: `make run` starts the bot, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp is rebuilt whenever pyproject.toml changes, so a fresh clone installs everything.
STAMP := $(VENV)/.installed

.PHONY: run test lint system fuzz bench sandbox clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sinau run

sandbox: $(STAMP)
	$(BIN)/sinau sandbox

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The Debian packages the tests use for real (PostgreSQL, HAProxy, Chromium, zbar, poppler).
system:
	./scripts/system-packages

test: lint system
	$(BIN)/python -m pytest -q --numprocesses=4 --durations=15

fuzz: $(STAMP)
	SINAU_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q -m fuzz

bench: $(STAMP) system
	$(BIN)/py-spy --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
