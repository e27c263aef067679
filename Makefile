# Two commands do all set-up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

PO_FILES := $(wildcard survey_app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run demo test test-postgres lint translations bench clean help

help:
	@echo "make run   - set up and serve http://$(HOST):$(PORT) on SQLite"
	@echo "make test  - set up and run the whole test suite"
	@echo "make demo  - add a demo initiative with answered rounds (run it beside make run)"
	@echo "make lint  - ruff check and ruff format --check"
	@echo "make bench - benchmarks, written to bench/results.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs are redone only when pyproject.toml changes, so a second `make run` is quick.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-runtime

%.mo: %.po | $(VENV)/.installed-runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO_FILES)

run: $(VENV)/.installed-runtime translations
	APP_ENV=$${APP_ENV:-development} $(BIN)/survey-app db upgrade
	APP_ENV=$${APP_ENV:-development} $(BIN)/survey-app run --host $(HOST) --port $(PORT)

# A demo initiative with three closed rounds and an open one; prints a login and a link.
demo: $(VENV)/.installed-runtime translations
	APP_ENV=$${APP_ENV:-development} $(BIN)/survey-app db upgrade
	APP_ENV=$${APP_ENV:-development} $(BIN)/survey-app demo

test: $(VENV)/.installed-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Load tests against gunicorn with 4 workers (tests/load), at the large scale. PostgreSQL is
# included when TEST_DATABASE_URL is set. Figures end up in test-artifacts/load-results.md.
.PHONY: load
load: $(VENV)/.installed-dev translations
	LOAD_SCALE=$${LOAD_SCALE:-large} $(BIN)/python -m pytest -m load tests/load $(PYTEST_ARGS)
