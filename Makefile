# The two commands that matter: `make run` and `make test`. Both set themselves up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench clean web web-test messages

# The browser bundle (docs/browser.md): npm packages installed from web/package-lock.json, and
# web/src bundled by esbuild into hub/web/static/app.js (built output, not committed).
WEB_STAMP := web/node_modules/.installed
WEB_SRC := $(shell find web/src -type f 2>/dev/null)
APP_JS := hub/web/static/app.js
# pytest-xdist: two workers per core (many tests wait on a subprocess, a browser or a
# timer), each test file on one worker (TEST_WORKERS=0: none)
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc) )))

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

$(APP_JS): $(WEB_STAMP) $(WEB_SRC) web/build.mjs
	cd web && node build.mjs

web: $(APP_JS)

web-test: $(WEB_STAMP)
	cd web && npm test

run: $(STAMP) $(APP_JS)
	$(BIN)/hub run --config config/example

demo: $(STAMP)
	$(BIN)/hub demo

test: $(STAMP) $(APP_JS)
	cd web && npm test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check hub tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.report $(BENCH_FLAGS)

# The pages' words: extract what the templates, the browser's script and hub/ ask for, then
# bring each language's catalog up to date (translate what is new in hub/locales/*/.po;
# tests/test_i18n.py fails until every message has its translation).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o hub/locales/messages.pot .
	$(BIN)/pybabel update -i hub/locales/messages.pot -d hub/locales -w 96 --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis web/node_modules $(APP_JS)
