# Misfire developer commands. GNU make; needs only python3 (3.11) for run/test.
#   make run    - set up .venv, migrate, load demo data, serve on http://127.0.0.1:8000
#                 (PORT=8001 make run serves on 8001; links in emails follow unless SITE_URL is set)
#   make test   - run the test suite (PYTEST_ARGS="-k digest -x" to narrow it)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install; pip re-runs only when a requirements file is newer.
STAMP := $(VENV)/.requirements-installed
PYTEST_ARGS ?=
# Exported so that settings derive SITE_URL (links in emails) from it when SITE_URL is unset.
PORT ?= 8000
export PORT
HTMX_DIR := static/vendor/htmx
CHARTJS_DIR := static/vendor/chartjs

.DEFAULT_GOAL := help
.PHONY: help venv run test lint check vendor

help:
	@echo "make run     set up .venv, migrate, load demo data, serve on http://127.0.0.1:$(PORT) (PORT=8001 make run)"
	@echo "make test    run the test suite (PYTEST_ARGS=... to pass options to pytest)"
	@echo "make lint    ruff check"
	@echo "make check   Django system checks and a missing-migrations check"
	@echo "make vendor  refresh static/vendor/ from npm (needs node; the result is committed)"

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: venv
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The ten slowest tests are listed at the end, so that a slow one is seen when it arrives.
test: venv
	$(PY) -m pytest --durations=10 $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

check: venv
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Front-end assets come from npm (exact pins in package.json/package-lock.json) but the copied
# files are committed, so nobody needs node to run or test Misfire.
vendor:
	npm ci --no-audit --no-fund
	mkdir -p $(HTMX_DIR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(HTMX_DIR)/
	mkdir -p $(CHARTJS_DIR)
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(CHARTJS_DIR)/
	# Without its source map, which is not shipped: the reference would make collectstatic's
	# manifest (DEBUG=false) look for a file that is not there.
	sed -i '/^\/\/# sourceMappingURL=/d' $(CHARTJS_DIR)/chart.umd.min.js
