# Two commands for readers and CI:   make book   ·   make test
# Everything else here is plumbing they call, or a maintainer's tool.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The venv is rebuilt when the dependency files change (stamp named by their hash).
DEPS_HASH := $(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(DEPS_HASH)
# Quiet TensorFlow before it is imported, in every kernel these targets start.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
# Parallel workers for the unit tests. Notebooks run one at a time by default
# (NB_JOBS=0): their timing cells measure this machine, and two BLAS-heavy chapters
# side by side on 2 cores would measure each other instead.
JOBS ?= 2
NB_JOBS ?= 0

.PHONY: book test venv assets unit notebooks book-strict execute lint-setup-cells clean

## make book: build the static HTML book from the committed, executed notebooks.
book: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.vendor_mathjax; \
	$(BIN)/jupyter-book build . --path-output . -q; \
	echo "Book built in $$(( $$(date +%s) - start )) s: open _build/html/index.html"

## make test: unit tests, notebook lint, every notebook re-executed by nbval, strict book build.
test: $(STAMP) assets
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests; \
	$(BIN)/python -m pytest -n $(NB_JOBS) --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 900 chapters; \
	$(MAKE) --no-print-directory book-strict; \
	echo "make test finished in $$(( $$(date +%s) - start )) s"

venv: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[local,dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## Fetch and verify every dataset and weight file the notebooks use (idempotent).
assets: $(STAMP)
	$(BIN)/python -m helpers.assets fetch --all

## A strict build: any Sphinx warning (broken reference, missing figure) fails.
book-strict: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.vendor_mathjax; \
	$(BIN)/jupyter-book build . --path-output . -q -W --keep-going --all; \
	echo "Strict book build in $$(( $$(date +%s) - start )) s"

## Maintainers: re-execute every notebook in place (one clean top-to-bottom run each).
## NB=chapters/01_*.ipynb limits it to some notebooks.
NB ?= $(sort $(wildcard chapters/*.ipynb))
execute: $(STAMP) assets
	$(BIN)/python tools/execute_notebooks.py $(NB)

## Maintainers: rewrite every chapter's setup cell from _config.yml (repository URL).
lint-setup-cells: $(STAMP)
	$(BIN)/python -m tools.setup_cell --write chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache
