# Xietong: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The local PostgreSQL of a developer machine / CI; DATABASE_URL wins when set.
LOCAL_PG := postgresql://postgres@127.0.0.1:5432/test
PO := $(wildcard xietong/locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint typecheck test-sqlite test-postgres messages makemessages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Install steps are cached in .venv and redone only when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# Translations are compiled in the build (Babel, no system gettext needed).
%.mo: %.po $(VENV)/.installed-run
	$(BIN)/pybabel compile --statistics -D django -i $< -o $@

messages: $(MO)

# `make run PORT=8080` serves on another port.
PORT ?= 8000
run: $(VENV)/.installed-run messages
	$(BIN)/xietong run --port $(PORT)

# lint-imports: the layers and import cycles of pyproject.toml [tool.importlinter] (no cache dir in the tree).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check xietong tests
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy xietong

test-sqlite: $(VENV)/.installed-test messages
	env -u DATABASE_URL XIETONG_DATA=$(CURDIR)/var/test $(BIN)/pytest -n 2 -q -p no:cacheprovider

test-postgres: $(VENV)/.installed-test messages
	@url="$${DATABASE_URL:-$(LOCAL_PG)}"; \
	if $(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$$url" 2>/dev/null; then \
	  echo "== PostgreSQL: $$url"; \
	  DATABASE_URL="$$url" SECRET_KEY=test-only-secret-key-for-the-postgresql-suite-0123456789 XIETONG_DATA=$(CURDIR)/var/test $(BIN)/pytest -n 2 -q -p no:cacheprovider; \
	else echo "== PostgreSQL not reachable at $$url: skipped"; fi

test: lint typecheck
	env -u DATABASE_URL XIETONG_DATA=$(CURDIR)/var/test $(BIN)/xietong makemigrations --check --dry-run
	if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/oidc --no-audit --no-fund --silent; fi  # the OIDC provider of the sign-in tests
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Benchmarks against yardsticks measured in the same run (docs/benchmarks.md, docs/performance.md):
# a PostgreSQL database of its own (BENCH_DATABASE, default xietong_bench), gunicorn + wrk, pytest-benchmark.
bench: $(VENV)/.installed-test messages
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is needed: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py

# Extract translatable strings into the English catalogue (needs GNU gettext).
makemessages: $(VENV)/.installed-run
	cd xietong && ../$(BIN)/xietong makemessages --locale en --no-obsolete --no-location

clean:
	rm -rf $(VENV) var/test
