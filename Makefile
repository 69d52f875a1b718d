# sellercare: `make run` serves the embedded product; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALE_DIRS := core/locale $(wildcard modules/*/locale)

.PHONY: install run test test-sqlite test-postgres lint i18n bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/sellercare serve

# The two databases' suites run side by side (one per core), each with its own Redis database.
test: install
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install
	SELLERCARE_TEST_DB=sqlite TEST_REDIS_URL=redis://127.0.0.1:6379/8 $(BIN)/pytest

test-postgres: install
	SELLERCARE_TEST_DB=postgres TEST_REDIS_URL=redis://127.0.0.1:6379/9 $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy core modules schema workers scripts

i18n: install
	$(BIN)/python -m scripts.i18n

bench: install
	$(BIN)/python bench/authz.py
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/customer_page.py
	$(BIN)/python bench/inbox.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
