# Two commands do all set-up: `make run` and `make test` (see README «Quick start»).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Running needs the package only; the test tools (browser, property checks) come with `make test`.
RUN_STAMP := $(VENV)/.installed
STAMP := $(VENV)/.installed-dev
# The real school documents, when they lie beside the checkout, are read by the optional
# tests/test_import_seeds.py; on a plain clone the variable is empty and those tests say so.
VSOKO_SEEDS_DIR ?= $(wildcard $(CURDIR)/../shared/seeds)
export VSOKO_SEEDS_DIR

.PHONY: run test check bench clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/vsoko demo
	$(BIN)/vsoko serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/vsoko workflows check
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/transition_vs_render.py

clean:
	rm -rf $(VENV) instance .pytest_cache tests/artifacts
