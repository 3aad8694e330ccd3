# coopbook — one command builds the book (`make pdf`), one runs the tests (`make test`).
# Every target sets up .venv on first use, so a fresh clone needs nothing else.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.coopbook-installed
COOPBOOK := $(BIN)/coopbook
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: all pdf print epub check index test test-slow lint lock bench clean distclean setup ace-setup messages

all: $(STAMP)
	$(COOPBOOK) build --format all

pdf: $(STAMP)
	$(COOPBOOK) build --format pdf

print: $(STAMP)
	$(COOPBOOK) build --format print

epub: $(STAMP)
	$(COOPBOOK) build --format epub

check: $(STAMP)
	$(COOPBOOK) check

index: $(STAMP)
	$(COOPBOOK) index

# The quick suite runs on every core (pytest-xdist); the slow one stays serial (it kills and times processes).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The slow tests: subprocess kills and locks, watch, several builds per test, the fuzzing at full size
# (FUZZ_EXAMPLES cases, 10,000 by default; CI runs fewer, see .ci/run).
FUZZ_EXAMPLES ?= 10000
test-slow: $(STAMP)
	COOPBOOK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check coopbook tests

# The benchmark of fast rebuilds (bench/README.md), e.g. make bench BENCH_ARGS='--sizes 10 --reps 1'.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

setup: $(STAMP)

# The book's interface words (README: "The book's language"): re-extract them from coopbook/ and templates/ into
# templates/locale/coopbook.pot, then merge them into every language's coopbook.po (new or changed ones: to translate).
LOCALES := templates/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -c Translators: --sort-by-file --no-wrap --project=coopbook \
		--copyright-holder="the coopbook authors" -o $(LOCALES)/coopbook.pot .
	$(BIN)/pybabel update -i $(LOCALES)/coopbook.pot -d $(LOCALES) -D coopbook --no-wrap --ignore-pot-creation-date

# The exact versions (with hashes) that give byte-identical outputs come from requirements.lock; coopbook itself
# is installed on top without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Write requirements.lock from the versions installed in .venv (README: "Updating the dependencies").
# pip-tools runs from a venv of its own, so it is never part of the project's environment.
PIPTOOLS := $(VENV)-piptools
lock: $(STAMP)
	test -x $(PIPTOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(PIPTOOLS) && $(PIPTOOLS)/bin/pip install --quiet pip-tools; }
	$(BIN)/python -m pip freeze --exclude-editable > $(VENV)/installed.txt
	$(PIPTOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --extra dev --constraint $(VENV)/installed.txt --output-file requirements.lock pyproject.toml
	touch $(STAMP)  # the lock now says what .venv holds: nothing to install again

# Ace by DAISY (ace-cli, pinned in tools/ace/package-lock.json), the EPUB accessibility checker tests/epub/test_ace.py runs.
# It drives the system Chromium through puppeteer (no browser download); .ci/run installs Chromium with apt.
ACE_DIR   := tools/ace
ACE_STAMP := $(ACE_DIR)/node_modules/.coopbook-installed

ace-setup: $(ACE_STAMP)

$(ACE_STAMP): $(ACE_DIR)/package.json $(ACE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "ace-setup: npm (Node.js 20+) is missing: apt-get install nodejs npm" >&2; exit 1; }
	@command -v chromium >/dev/null || { echo "ace-setup: Chromium is missing: apt-get install --no-install-recommends chromium" >&2; exit 1; }
	cd $(ACE_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) $(VENV)-piptools .pytest_cache .ruff_cache .hypothesis *.egg-info $(ACE_DIR)/node_modules
