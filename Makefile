# Samplan: `make demo` runs it with a demo world, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by `make test`'s second pass (CI has it at 127.0.0.1:5432, user postgres).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/samplan

.PHONY: demo test lint test-sqlite test-postgres test-browser install bench messages clean serve

$(VENV)/.installed: requirements.lock pyproject.toml scripts/sysdeps.sh
	scripts/sysdeps.sh
	@PYTHON=$$(scripts/find-python) && [ -x $(PY) ] || $$PYTHON -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/samplan migrate --no-input
	$(BIN)/samplan demo
	$(BIN)/samplan serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy samplan tests bench
	$(BIN)/lint-imports
	$(PY) scripts/check_coverage_floor.py
	$(BIN)/samplan makemigrations --check --dry-run
	$(BIN)/samplan check --fail-level WARNING

messages: install
	cd samplan && ../$(BIN)/samplan makemessages -l sv -l en --no-obsolete --no-location
	$(BIN)/samplan compilemessages --ignore '.venv'

# Branch coverage with a floor: [tool.coverage.report] fail_under in pyproject.toml.
test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest -n 2 -p no:cacheprovider --ignore=tests/browser \
	  --cov=samplan --cov-branch --cov-report=term

test-postgres: install
	@if $(PY) scripts/pg_available.py "$(PG_TEST_URL)"; then \
	  DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -n 2 -p no:cacheprovider --ignore=tests/browser \
	    -m "not render_only"; \
	elif [ "$$CI" = "true" ]; then \
	  echo "FAIL: PostgreSQL is not reachable at $(PG_TEST_URL), and CI needs it."; exit 1; \
	else \
	  echo "NOTE: PostgreSQL is not reachable at $(PG_TEST_URL): ran the suite on SQLite only."; \
	fi

# The browser suite: the real server on loopback (SQLite), Debian's Chromium, axe-core.
# UPDATE_SCREENSHOTS=1 also rewrites docs/screenshots/.
test-browser: install
	env -u DATABASE_URL $(BIN)/pytest tests/browser -m browser -p no:cacheprovider

test: lint test-sqlite test-postgres test-browser

# Generated worlds on PostgreSQL (and SQLite), pages timed in process, throughput over loopback
# with wrk (Debian) against the floor (bench/floor.py); town and region in one run (BENCH_SCALE).
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "make bench: installing wrk (Debian) for the throughput runs"; \
	  if [ "$$(id -u)" -eq 0 ]; then apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1; \
	  else sudo -n apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1; fi; } || true
	@command -v wrk >/dev/null 2>&1 || echo "NOTE: wrk is missing (sudo apt-get install wrk): throughput is not measured."
	$(PY) -m bench

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
