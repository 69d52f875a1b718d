# sellercare: `make run` serves the embedded product; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALE_DIRS := core/locale $(wildcard modules/*/locale)
# GraphiQL's browser assets: the versions pinned in schema/frontend/package-lock.json, fetched with npm
# (Node.js and npm are needed at build time only) and copied into the package, so the IDE works
# without internet access. The folder is git-ignored; schema/graphiql.html names its files.
NODE_MODULES := schema/frontend/node_modules
GRAPHIQL_DIR := schema/static/graphiql
GRAPHIQL_STAMP := $(GRAPHIQL_DIR)/.installed-stamp
GRAPHIQL_FILES := react/umd/react.production.min.js:react.production.min.js \
	react/LICENSE:LICENSE.react \
	react-dom/umd/react-dom.production.min.js:react-dom.production.min.js \
	react-dom/LICENSE:LICENSE.react-dom \
	graphiql/graphiql.min.js:graphiql.min.js \
	graphiql/graphiql.min.css:graphiql.min.css \
	graphiql/LICENSE:LICENSE.graphiql \
	@graphiql/plugin-explorer/dist/index.umd.js:plugin-explorer.umd.js \
	@graphiql/plugin-explorer/dist/style.css:plugin-explorer.css

.PHONY: install assets run test test-services test-sqlite test-postgres lint i18n bench bench-seller clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(GRAPHIQL_STAMP): schema/frontend/package.json schema/frontend/package-lock.json schema/frontend/.npmrc
	@command -v npm >/dev/null 2>&1 || { \
		echo >&2 "error: npm not found. make install needs Node.js (18 or later) and npm to fetch GraphiQL's"; \
		echo >&2 "       assets (schema/frontend/package-lock.json) into $(GRAPHIQL_DIR)/; install them and run make again."; \
		exit 1; }
	@cd schema/frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error || { \
		echo >&2 "error: 'npm ci' in schema/frontend/ failed: GraphiQL's assets could not be fetched (is the npm"; \
		echo >&2 "       registry reachable?). Without them GraphiQL cannot load; fix it and run make again."; \
		exit 1; }
	rm -rf $(GRAPHIQL_DIR)
	mkdir -p $(GRAPHIQL_DIR)
	@for pair in $(GRAPHIQL_FILES); do \
		cp "$(NODE_MODULES)/$${pair%%:*}" "$(GRAPHIQL_DIR)/$${pair#*:}" || exit 1; \
	done
	touch $(GRAPHIQL_STAMP)

assets: $(GRAPHIQL_STAMP)

install: $(STAMP) $(GRAPHIQL_STAMP)

run: install
	$(BIN)/sellercare serve

# What the tests need from the system beyond PostgreSQL and Redis: dovecot-imapd, the IMAP server
# the e-mail channel's tests start themselves (installed when missing; needs root, says so otherwise).
test-services:
	@bash scripts/test_services.sh

# The two databases' suites run side by side (one per core), each with its own Redis database.
test: install test-services
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install test-services
	SELLERCARE_TEST_DB=sqlite TEST_REDIS_URL=redis://127.0.0.1:6379/8 $(BIN)/pytest

test-postgres: install test-services
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

# PostgreSQL only: the list pages at a real seller's size (builds sellercare_bench_seller the first time,
# about 3 minutes, then reuses it; uses and flushes Redis db 12).
bench-seller: install
	$(BIN)/python bench/seller_pages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(NODE_MODULES) $(GRAPHIQL_DIR)
