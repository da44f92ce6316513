# Two commands for a fresh clone (see README.md): `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist processes for `make test` (at most 7: docs/recipes.md, "Run the tests").
TEST_WORKERS ?= 2

.PHONY: run test lint bench mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## run: install, migrate, seed the demo restaurant, start web + worker + beat + Graph sandbox.
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python scripts/run.py $(BIN)/honcho --procfile Procfile start

## test: install, check PostgreSQL/Redis/Chromium are there, run the whole suite.
test: $(VENV)/.dev
	$(BIN)/python scripts/check_services.py
	scripts/ensure-chromium
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: every benchmark in bench/, figures and ratios side by side.
bench: $(VENV)/.dev
	$(BIN)/python -m bench

## mutation: mutation testing of one module (MODULE=crypto|scoping|middleware|oauth|images|
## publishing_state|webhook_signature|registration|statements);
## prints its score and every surviving mutant. Slow: see docs/mutation.md; not part of CI.
mutation: $(VENV)/.dev
	$(BIN)/python scripts/check_services.py
	$(BIN)/python scripts/mutation.py $(MODULE)
