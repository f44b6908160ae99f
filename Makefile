# Quick start: `make demo` (the running, populated product on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Every link, QR code and message is built from SITE_URL; the demo's follows HOST and PORT.
SITE_URL ?= http://$(HOST):$(PORT)

# Integration tests: real PostgreSQL, Redis and a Celery worker (see tests/conftest.py).
PG_URL ?= postgres://postgres@127.0.0.1:5432/engagement_it
REDIS_BASE ?= redis://127.0.0.1:6379
INTEGRATION_ENV := DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_BASE)/14 REDIS_URL=$(REDIS_BASE)/13

.PHONY: install demo serve test lint unit integration production-check browser messages format bench clean architecture

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

demo: install
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) migrate --noinput
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) seed_demo
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) analyze_voc
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) refresh_customer_values
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) seed_demo_workflow
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) ensure_demo_admin
	@echo "Serving on $(SITE_URL)/  (Ctrl-C to stop)"
	DJANGO_DEBUG=1 SITE_URL=$(SITE_URL) $(MANAGE) runserver --noreload $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

unit: install
	$(BIN)/pytest -m "not integration"

integration: install
	$(INTEGRATION_ENV) $(BIN)/pytest -m "integration and not production"

# The README's production steps on PostgreSQL and Redis: DJANGO_DEBUG=0, migrate, collectstatic
# (manifest storage), gunicorn with 2 workers; every staff and customer page and its assets.
production-check: install
	$(INTEGRATION_ENV) $(BIN)/pytest -m production -s -q tests/production

test: install browser lint unit integration production-check

# Debian's Chromium for the Playwright browser tests (Playwright's own download is not used),
# and a Japanese font so that screenshots and printed PDFs show Japanese text.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/ipafont-gothic ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-ipafont-gothic >/dev/null) \
	      || echo "could not install Debian's chromium: browser tests will be skipped"; \
	  else echo "Debian's chromium is missing (apt-get install chromium fonts-ipafont-gothic): browser tests will be skipped"; fi; \
	fi

messages: install
	$(MANAGE) makemessages -l ja -l en --no-location --no-obsolete --ignore=.venv --ignore=tests
	$(MANAGE) compilemessages --ignore=.venv

architecture: install
	$(BIN)/python tests/test_architecture.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles
