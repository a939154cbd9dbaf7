# Kaohe — every target bootstraps .venv itself (Python 3.11).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-engine lint bench messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## demo: migrate an embedded SQLite database, load the demo city, serve http://127.0.0.1:$KAOHE_PORT
demo: $(STAMP)
	$(BIN)/kaohe demo

## test: the whole suite (PostgreSQL when KAOHE_TEST_DATABASE_URL is set, else SQLite)
test: $(STAMP)
	@$(BIN)/python -m kaohe.testing.announce
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## test-engine: the engine's tests alone (no Django)
test-engine: $(STAMP)
	$(BIN)/python -m pytest -p no:django tests/engine -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	KAOHE_DEBUG=1 $(BIN)/mypy src
	cd src && ../$(BIN)/lint-imports --config ../pyproject.toml --no-cache
	KAOHE_DEBUG=1 $(BIN)/python manage.py check
	KAOHE_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_forecast.py
	$(BIN)/python bench/bench_monitoring.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_freshness.py
	$(BIN)/python bench/bench_pages.py

## messages: refresh and compile the translation catalogues
messages: $(STAMP)
	cd src/kaohe && KAOHE_DEBUG=1 ../../$(BIN)/django-admin makemessages -l zh_Hans -l en --settings=kaohe.settings --no-obsolete --ignore='engine/*' --ignore='demo/*' --ignore='testing/*'
	cd src/kaohe && KAOHE_DEBUG=1 ../../$(BIN)/django-admin compilemessages --settings=kaohe.settings

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
