# 双随机、一公开监管平台 — the two commands are `make run` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install sysdeps run serve test test-sqlite test-browser test-all lint bench worker beat migrate seed messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: sysdeps $(STAMP)

sysdeps:
	@sh scripts/sysdeps.sh

# On PostgreSQL, create the database first when the server lets us (else one line says why).
migrate: install
	@$(BIN)/python scripts/ensure_db.py
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --if-empty

# Install, migrate, load the demo county (only into an empty database) and serve
# (`make run PORT=8080 HOST=0.0.0.0` to listen elsewhere).
run: seed
	@echo ""
	@echo "  双随机监管平台: http://$(HOST):$(PORT)/   (log in as yc_wl_planner, password Demo-Pass-2026;"
	@echo "  every demo account is listed in README.md)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Install and run the whole suite (browser tests too when /usr/bin/chromium exists).
test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not browser" $(PYTEST_ARGS)
	@if [ -x /usr/bin/chromium ]; then $(MAKE) --no-print-directory test-browser; \
	else echo "(browser tests skipped: /usr/bin/chromium not installed — see README)"; fi

# The non-browser suite on the embedded default (SQLite, Celery inline), whatever DATABASE_URL and
# REDIS_URL say: what `make run` gives a newcomer. CI runs it beside `make test` on PostgreSQL.
test-sqlite: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -n 2 --dist loadgroup -m "not browser" $(PYTEST_ARGS)

test-browser: install
	$(BIN)/python -m pytest -m browser -p no:xdist $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

worker: install
	$(BIN)/celery -A config worker -l info --concurrency 2

beat: install
	$(BIN)/celery -A config beat -l info --schedule var/celerybeat-schedule

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv
	$(BIN)/python scripts/check_catalog.py

clean:
	rm -rf $(VENV) staticfiles var/db.sqlite3
