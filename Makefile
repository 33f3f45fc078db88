# The README's commands. `make demo` and `make test` work on a fresh machine: they install
# what they need (Debian packages when run as root, the virtualenv, npm packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_JOBS ?= 50000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-deps venv node demo demo-data serve test lint typecheck pytest-sqlite pytest-mariadb pytest-postgresql bench bench-rollups clean

setup: system-deps venv node
	mkdir -p var/staticfiles

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
	mkdir -p var/staticfiles
	$(BIN)/python manage.py migrate -v0
	$(BIN)/python manage.py pandadb createschema --drop
	$(BIN)/python manage.py pandadb seed --jobs $(DEMO_JOBS) --days 4
	$(BIN)/python manage.py pandadb rollup --backfill

# The demo's old monitor is a stand-in (pandjango/legacy/standin.py) on 127.0.0.1:8010, the
# address config/pandjango.toml gives as legacy.base_url; it stops with the server, as does the
# rollups' refresher (docs/rollups.md), which runs every minute so that the summaries stay fresh.
demo: demo-data
	$(BIN)/python -m pandjango.legacy.standin --host 127.0.0.1 --port 8010 & standin=$$!; \
	$(BIN)/python manage.py pandadb rollup --loop 60 > var/rollups.log 2>&1 & rollup=$$!; \
	trap 'kill $$standin $$rollup 2>/dev/null' EXIT INT TERM; \
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
	PANDJANGO_CONFIG=config/test/mariadb.toml $(BIN)/pytest -m "not browser and not once"

# The PostgreSQL run caches in memcached, as production does: tests.memcached starts one on
# the port its config names, for the length of the run.
pytest-postgresql: setup
	PANDJANGO_CONFIG=config/test/postgresql.toml $(BIN)/python -m tests.memcached $(BIN)/pytest -m "not browser and not once"

test: setup lint typecheck pytest-sqlite pytest-mariadb pytest-postgresql

# Mutation testing of the guard code (docs/testing.md), not part of `make test`: mutmut, with
# tests/mutation/setup.cfg, in a copy of the tree under $(MUTATION_DIR), on SQLite, over the
# functions named in tests/mutation/guards.txt; then tests/mutation/report.py counts them and
# fails on a surviving mutant not explained in tests/mutation/equivalent.txt.
# MUTANTS: other mutants instead, as mutmut's name patterns, e.g.
# make mutation MUTANTS="pandjango.legacy.sanitise.* pandjango.legacy.paths.x_check_path*"
MUTATION_DIR ?= /tmp/pandjango-mutation
MUTANTS ?= $(shell grep -v -e '^\#' -e '^$$' tests/mutation/guards.txt)
.PHONY: mutation mutation-extended
mutation-extended:
	$(MAKE) mutation MUTANTS="$$(grep -v -e '^#' -e '^$$' tests/mutation/extended.txt | tr '\n' ' ')"

mutation: setup
	rm -rf $(MUTATION_DIR) && mkdir -p $(MUTATION_DIR)/var
	tar --exclude=./.venv --exclude=./node_modules --exclude=./var --exclude=./.git -cf - . | tar -xf - -C $(MUTATION_DIR)
	cp tests/mutation/setup.cfg $(MUTATION_DIR)/setup.cfg
	start=$$(date +%s); \
	cd $(MUTATION_DIR) && PANDJANGO_CONFIG=$(MUTATION_DIR)/config/test/sqlite.toml $(CURDIR)/$(BIN)/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)') > $(MUTATION_DIR)/mutmut.log 2>&1; \
	status=$$?; tail -c 400 $(MUTATION_DIR)/mutmut.log; echo; [ $$status = 0 ] || exit $$status; \
	$(CURDIR)/$(BIN)/python $(CURDIR)/tests/mutation/report.py $(MUTATION_DIR) $$(( $$(date +%s) - start )) $(foreach m,$(MUTANTS),'$(m)')

# The benchmark (bench/run.py, docs/benchmarks.md): seeds or reuses a MariaDB database of ours,
# loads gunicorn + memcached with wrk, writes bench/results/latest.md. ARGS=--small: a quick run.
bench: setup
	$(BIN)/python bench/run.py $(ARGS)

# The summaries from rollups and directly, and the refresher's cost (bench/rollups_bench.py).
bench-rollups: setup
	$(BIN)/python bench/rollups_bench.py $(ARGS)

# The installable wheel, into $(DIST): `pip install dist/pandjango-*.whl` gives the `pandjango`
# command. The build itself (setup.py) copies the static files into the package, node_modules'
# front-end libraries included: `node` installs them first. `pip install .` does the same.
DIST ?= dist
.PHONY: wheel
wheel: venv node
	rm -rf build
	$(BIN)/pip wheel --no-deps --no-build-isolation -q . -w $(DIST)

clean:
	rm -rf var/*.sqlite3 var/cache
