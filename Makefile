# The README's commands. `make demo` and `make test` work on a fresh machine: they install
# what they need (Debian packages when run as root, the virtualenv, npm packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_JOBS ?= 50000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-deps venv node demo demo-data serve test lint typecheck pytest-sqlite pytest-mariadb bench clean

setup: system-deps venv node

system-deps:
	@sh tests/system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

node:
	@if [ -f package.json ]; then \
	  if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then \
	    npm ci --no-audit --no-fund && touch node_modules/.installed; fi; fi

demo-data: setup
	mkdir -p var
	$(BIN)/python manage.py migrate -v0
	$(BIN)/python manage.py pandadb createschema
	$(BIN)/python manage.py pandadb seed --jobs $(DEMO_JOBS) --days 4

demo: demo-data
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: setup
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

pytest-sqlite: setup
	PANDJANGO_CONFIG=config/test/sqlite.toml $(BIN)/pytest

pytest-mariadb: setup
	PANDJANGO_CONFIG=config/test/mariadb.toml $(BIN)/pytest -m "not browser"

test: setup lint typecheck pytest-sqlite pytest-mariadb

clean:
	rm -rf var/*.sqlite3 var/cache
