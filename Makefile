# Two commands set everything up on a fresh machine:
#   make run    serve the app with demo data on SQLite at http://127.0.0.1:$(PORT)
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test setup bench lint browser clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Create or upgrade the database, load the courses and credentials, add the demo data.
setup: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) courses sync
	$(FLASK) credentials sync
	$(FLASK) trainings sync
	$(FLASK) demo load

run: setup
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Browser tests drive Debian's chromium; install it when we can (root with apt-get).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium is missing; browser tests will be skipped"; fi; \
	fi

test: $(VENV)/.installed-dev setup browser
	$(BIN)/python -m pytest

# The bench loads pages with wrk; install it when we can, as for chromium above.
bench: $(VENV)/.installed-dev
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: install it (apt-get install wrk)"; exit 1; fi; \
	fi
	$(BIN)/python -m bench

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-*
