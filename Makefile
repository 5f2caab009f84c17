# Two commands set everything up on a fresh machine:
#   make run    serve the app with demo data on SQLite at http://127.0.0.1:$(PORT)
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

PYBABEL := $(BIN)/pybabel
TRANSLATIONS := training/translations
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

.PHONY: run test setup bench bench-jobs loadtest lint browser clean worker translations

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The compiled catalogues (.mo) are built from the committed .po files, never committed.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(PYBABEL) compile --statistics -i $< -o $@

# After marking strings: gather them into messages.pot and add the new ones to every
# language's .po (untranslated, never guessed), then translate them there.
translations: $(VENV)/.installed
	$(PYBABEL) extract -F babel.cfg --ignore-dirs ".* __pycache__ instance" -k lazy_gettext -k _l -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 --no-location --sort-output \
	  --project "Peer Recovery Training" -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(MAKE) $(CATALOGUES:.po=.mo)

# Create or upgrade the database, load the courses and credentials, add the demo data.
setup: $(VENV)/.installed $(CATALOGUES:.po=.mo)
	$(FLASK) db upgrade
	$(FLASK) courses sync
	$(FLASK) credentials sync
	$(FLASK) trainings sync
	$(FLASK) demo load

run: setup
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Browser tests drive Debian's chromium; WeasyPrint subsets fonts with HarfBuzz's subset
# library. Install both when we can (root with apt-get).
SYSTEM_PACKAGES := chromium libharfbuzz-subset0
browser:
	@if [ ! -x /usr/bin/chromium ] || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "note: install $(SYSTEM_PACKAGES) for browser tests and subset fonts in PDFs"; fi; \
	fi

# Two test processes per core: much of a test's time is spent waiting for PostgreSQL, Redis or
# the browser, so twice as many processes as cores keeps the cores busy.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
test: $(VENV)/.installed-dev setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# Background job workers, WORKERS of them (one per core by default); they need REDIS_URL.
WORKERS ?= 2
worker: $(VENV)/.installed
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL: workers take their work from Redis."; exit 1; }
	@trap 'kill 0' INT TERM; for i in $$(seq $(WORKERS)); do $(FLASK) jobs worker & done; wait

# The bench loads pages with wrk; install it when we can, as for chromium above.
bench: $(VENV)/.installed-dev
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: install it (apt-get install wrk)"; exit 1; fi; \
	fi
	$(BIN)/python -m bench

# 100 simulated people for 60 s against two gunicorn servers sharing PostgreSQL and Redis (REDIS_URL),
# one server killed mid-run and PostgreSQL restarted: a server of the load test's own, never the shared one.
loadtest: $(VENV)/.installed-dev
	$(BIN)/python -m bench.loadtest --users 100 --seconds 60 --database-fault restart

# Bulk issue of 1,000 certificates by two workers, and pages served meanwhile (PostgreSQL and REDIS_URL).
bench-jobs: $(VENV)/.installed-dev
	$(BIN)/python -m bench.bulk_issue

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* $(TRANSLATIONS)/*/LC_MESSAGES/*.mo
