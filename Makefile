# Two commands for readers and CI:   make book   ·   make test
# and one to read the notebooks in JupyterLab:   make lab
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

.PHONY: test-seeds book test venv assets unit notebooks book-strict execute reader-notebooks lint-setup-cells clean

## make book: build the static HTML book from the committed, executed notebooks.
book: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.vendor_mathjax; \
	$(BIN)/jupyter-book build . --path-output . -q; \
	echo "Book built in $$(( $$(date +%s) - start )) s: open _build/html/index.html"

## make test: unit tests, notebook lint, every notebook re-executed by nbval, strict book build.
test: $(STAMP) assets chromium
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests; \
	$(BIN)/python -m pytest -n $(NB_JOBS) --dist loadfile --nbval chapters; \
	$(MAKE) --no-print-directory book-strict; \
	$(MAKE) --no-print-directory browser-test; \
	echo "make test finished in $$(( $$(date +%s) - start )) s"

## make test-seeds: every notebook re-executed under other seeds (CNNBOOK_SEED).
## Outputs then differ from the stored ones, so only errors and assertions count
## (nbval's lax mode); every claim the book asserts must hold under any seed.
SEEDS ?= 7 2024
test-seeds: $(STAMP) assets
	@for seed in $(SEEDS); do \
	  echo "== CNNBOOK_SEED=$$seed"; \
	  CNNBOOK_SEED=$$seed $(BIN)/python -m pytest -q -n $(NB_JOBS) --dist loadfile --nbval-lax chapters \
	    || exit 1; \
	done

venv: $(STAMP)
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[local,dev,deploy]"
	rm -f $(VENV)/.installed-*
	touch $@

## make bench-lenet: chapter 05's LeNet-5 recipe trained under five seeds, each a fresh
## kernel running the chapter down to its accuracy check (tools/seed_spread.py); prints
## the test accuracy per seed with mean and spread and writes benchmarks/lenet_seeds.json.
## A benchmark, not a test (~6 min on 2 cores); it fails if any seed misses 99.0 %.
BENCH_SEEDS ?= 1 2 3 4 5
.PHONY: bench-lenet
bench-lenet: $(STAMP) assets
	$(BIN)/python -m tools.seed_spread chapters/05_lenet_mnist.ipynb --seeds $(BENCH_SEEDS) \
	  --value test_acc --value train_acc --until "assert test_acc" \
	  --report benchmarks/lenet_seeds.json

## make test-oldest: unit tests and every notebook (nbval) on the OLDEST supported set,
## as on Colab: full tensorflow 2.19, keras 3.10, numpy 2.0 (constraints-oldest.txt), in
## .venv-oldest (needs a Python 3.11: PYTHON_OLDEST). No book build, no browser (the
## Chromium unit test is deselected). Runs both suites even if the first fails, so one
## run lists every failure.
PYTHON_OLDEST ?= python3.11
OLDEST_VENV ?= .venv-oldest
OLDEST_BIN := $(OLDEST_VENV)/bin
OLDEST_STAMP := $(OLDEST_VENV)/.installed-$(shell cat pyproject.toml constraints-oldest.txt | sha256sum | cut -c1-12)
.PHONY: venv-oldest test-oldest
test-oldest: $(OLDEST_STAMP)
	@start=$$(date +%s); rc=0; \
	$(OLDEST_BIN)/python -m helpers.assets fetch --all; \
	$(OLDEST_BIN)/python -m pytest -n $(JOBS) --dist loadfile tests \
	  --deselect tests/test_check_pages.py::test_checker_catches_a_broken_page || rc=1; \
	$(OLDEST_BIN)/python -m pytest -n $(NB_JOBS) --dist loadfile --nbval chapters || rc=1; \
	echo "make test-oldest finished in $$(( $$(date +%s) - start )) s"; \
	exit $$rc

venv-oldest: $(OLDEST_STAMP)
$(OLDEST_STAMP): pyproject.toml constraints-oldest.txt
	@test -x $(OLDEST_BIN)/python || $(PYTHON_OLDEST) -m venv $(OLDEST_VENV)
	$(OLDEST_BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(OLDEST_BIN)/python -m pip install -q --disable-pip-version-check \
	  -c constraints-oldest.txt tensorflow -e ".[dev,deploy]"
	rm -f $(OLDEST_VENV)/.installed-*
	touch $@

## make lab: open the notebooks in JupyterLab (creates .venv with JupyterLab on first use).
## LAB_DIR: the folder opened; notebooks/ (the reader versions) when it holds notebooks,
##   else chapters/.   LAB_PORT: the port on localhost (default 8888).
## NO_BROWSER=1: print the URL instead of opening a browser; on a remote machine, open
##   it through a tunnel from your own: ssh -L 8888:localhost:8888 you@remote
## No `make assets` needed: each notebook fetches the data and weights it uses on first use.
LAB_DIR ?= $(if $(wildcard notebooks/*.ipynb),notebooks,chapters)
LAB_PORT ?= 8888
NO_BROWSER ?=
.PHONY: lab
lab: $(STAMP)
	$(BIN)/python -m tools.lab --port $(LAB_PORT) $(if $(filter 1 yes true,$(NO_BROWSER)),--no-browser) $(LAB_DIR)

## make test-colab: every notebook run as a Colab reader runs it, each ALONE in an empty
## folder: Python 3.12 (PYTHON_COLAB; else python3.12 on PATH or pyenv's 3.12.x) with the
## packages Colab pre-installs (tools/colab_preinstalled.txt) at the versions of
## constraints-oldest.txt, in .venv-colab; `google.colab` importable in the kernel, so each
## setup cell installs the book itself from a git+file:// clone of the current commit
## (branch main); an empty asset cache per notebook (COLAB_CACHE=shared reuses
## ~/.cache/cnn-course-book); oneDNN at TensorFlow's default. Refuses to run if installing
## the book would change a package of Colab's set. Notebooks: COLAB_NOTEBOOKS (a folder
## or files; default notebooks/ if it holds any, else chapters/). Runs every notebook,
## prints each one's time and a summary, fails if any failed.
PYTHON_COLAB ?=
COLAB_VENV ?= .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_SET := tools/colab_preinstalled.txt
COLAB_STAMP := $(COLAB_VENV)/.installed-$(shell cat constraints-oldest.txt $(COLAB_SET) | sha256sum | cut -c1-12)
COLAB_NOTEBOOKS ?= $(if $(wildcard notebooks/*.ipynb),notebooks,chapters)
COLAB_CACHE ?= fresh
# COLAB_REPO=https://github.com/OWNER/REPO installs the book from there (the published
# repository, branch main) instead of from a clone of the current commit.
COLAB_REPO ?=
.PHONY: venv-colab test-colab
test-colab: $(COLAB_STAMP)
	@start=$$(date +%s); rc=0; \
	$(COLAB_BIN)/python -m tools.colab_sim run --venv $(COLAB_VENV) --cache $(COLAB_CACHE) \
	  --repo "$(COLAB_REPO)" $(COLAB_NOTEBOOKS) || rc=$$?; \
	echo "make test-colab finished in $$(( $$(date +%s) - start )) s"; \
	exit $$rc

venv-colab: $(COLAB_STAMP)
$(COLAB_STAMP): constraints-oldest.txt $(COLAB_SET)
	@py=$$($(PYTHON) -m tools.colab_sim find-python "$(PYTHON_COLAB)"); \
	if [ -e $(COLAB_VENV) ]; then \
	  test -f $(COLAB_VENV)/pyvenv.cfg \
	    || { echo "test-colab: error: $(COLAB_VENV) exists and is not a venv" >&2; exit 1; }; \
	  rm -rf $(COLAB_VENV); \
	fi; \
	echo "venv-colab: Colab's set into $(COLAB_VENV) with $$py"; \
	$$py -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(COLAB_BIN)/python -m pip install -q --disable-pip-version-check \
	  -c constraints-oldest.txt -r $(COLAB_SET)
	$(COLAB_BIN)/python -m tools.colab_sim prepare-venv --venv $(COLAB_VENV)
	touch $@

## Fetch and verify every dataset and weight file the notebooks use (idempotent).
assets: $(STAMP)
	$(BIN)/python -m helpers.assets fetch --all

## A strict build: any Sphinx warning (broken reference, missing figure) fails.
book-strict: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python -m tools.vendor_mathjax; \
	$(BIN)/jupyter-book build . --path-output . -q -W --keep-going --all; \
	$(BIN)/python -m tools.reader_notebooks --check-html _build/html; \
	echo "Strict book build in $$(( $$(date +%s) - start )) s"

## make browser-test: open every page of the built book (_build/html; `make book` first)
## in headless Chromium at 1280 and 390 px; fail on console errors, unrendered maths,
## broken images, a page wider than the screen, code wider than its column.
## Chromium: CNNBOOK_CHROMIUM if set, else Debian's `chromium` (installed here when root).
.PHONY: browser-test chromium
browser-test: $(STAMP) chromium
	$(BIN)/python -m tools.check_pages _build/html

## Make sure a Chromium is there for the browser check and its unit test.
chromium:
	@if [ -n "$${CNNBOOK_CHROMIUM:-}" ] || command -v chromium >/dev/null \
	    || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
	    || [ -x "/Applications/Chromium.app/Contents/MacOS/Chromium" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "browser-test: installing Debian's chromium"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	    >/dev/null || { echo "browser-test: error: could not install chromium with apt-get" >&2; exit 1; }; \
	  command -v chromium >/dev/null \
	    || { echo "browser-test: error: chromium still missing after apt-get install" >&2; exit 1; }; \
	else \
	  echo "browser-test: error: Chromium is needed to check the built pages. Install it:" >&2; \
	  echo "  Debian/Ubuntu: sudo apt-get install chromium" >&2; \
	  echo "  macOS:         brew install --cask chromium" >&2; \
	  echo "  or set CNNBOOK_CHROMIUM=/path/to/chrome" >&2; \
	  exit 1; \
	fi

## Maintainers: re-execute every notebook in place (one clean top-to-bottom run each).
## NB=chapters/01_*.ipynb limits it to some notebooks.
NB ?= $(sort $(wildcard chapters/*.ipynb))
execute: $(STAMP) assets
	$(BIN)/python tools/execute_notebooks.py $(NB)
	$(BIN)/python -m tools.landing
	$(BIN)/python -m tools.reader_notebooks

## Maintainers: regenerate notebooks/, the reader notebooks that Colab, the download
## button and the notebooks zip serve (the chapters with their MyST resolved).
reader-notebooks: $(STAMP)
	$(BIN)/python -m tools.reader_notebooks

## Maintainers: rewrite every chapter's setup cell from _config.yml (repository URL).
lint-setup-cells: $(STAMP)
	$(BIN)/python -m tools.setup_cell --write chapters/*.ipynb

clean:
	rm -rf _build .pytest_cache
