# Pinhaven: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the default suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-slow test-all lint bench clean migration

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch + torchvision first, the pair that imports together (pip takes both from local disk here);
	# a bare `pip install torch` would resolve a newer multi-GB build from PyPI.
	$(BIN)/python -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,clip]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/pinhaven init
	$(BIN)/pinhaven demo --if-empty
	$(BIN)/pinhaven serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile -q

test-slow: install
	$(BIN)/python -m pytest -m "slow" -q

test-all: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,clip,bench]'
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Regenerate the schema migration from the models (development only, before the first release).
migration: install
	$(BIN)/python -m pinhaven.db.regen_migration

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
