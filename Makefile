# The two commands that matter: `make run` and `make test`. Both set themselves up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hub run --config config/example

demo: $(STAMP)
	$(BIN)/hub demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check hub tests bench

bench: $(STAMP)
	for b in crypto submit escalation; do $(BIN)/python -m bench.$$b $(BENCH_FLAGS) || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
