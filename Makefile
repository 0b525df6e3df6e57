# SDG Forum — setup, run and checks.
#
#   make install   virtualenv + Python deps, front-end libraries, compiled catalogs
#   make run       install, migrate, load the demo data, serve on http://127.0.0.1:5000
#   make test      install, then the whole test suite (PYTEST_ARGS="-k room -x" to narrow)
#   make lint      ruff check
#   make i18n      extract messages, update (or create) the catalogs, compile them
#
# FORUM_* variables pass through to the app, from the environment or the command line:
#   make run FORUM_PORT=5050 FORUM_INSTANCE_PATH=/tmp/forum

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamp of the last successful Python install; rebuilt when pyproject.toml changes.
STAMP := $(VENV)/.installed

LOCALES := zh_Hant_TW ja ko
POT := translations/messages.pot
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

# npm: the lockfile pins the exact front-end versions; without one, npm install makes it.
LOCKFILE := $(wildcard package-lock.json)
NPM_STAMP := node_modules/.package-lock.json
NPM_INSTALL := $(if $(LOCKFILE),npm ci,npm install) --no-audit --no-fund --ignore-scripts
VENDOR := static/vendor
VENDOR_FILES := $(VENDOR)/socket.io.esm.min.js

PYTEST_ARGS ?=

.PHONY: help install run test lint i18n clean

help:
	@sed -n '2,11s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

install: $(STAMP) $(VENDOR_FILES) $(MO_FILES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json $(LOCKFILE)
	$(NPM_INSTALL)
	touch $@

# The app loads socket.io as an ES module from /static/vendor/socket.io.esm.min.js.
$(VENDOR)/socket.io.esm.min.js: $(NPM_STAMP)
	mkdir -p $(VENDOR)
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)/
	if [ -f node_modules/socket.io-client/dist/socket.io.esm.min.js.map ]; then \
	  cp node_modules/socket.io-client/dist/socket.io.esm.min.js.map $(VENDOR)/; fi
	cp node_modules/socket.io-client/LICENSE $(VENDOR)/socket.io-client.LICENSE
	touch $@

# Catalogs are committed as .po; the .mo files are build output (gitignored).
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -l $* -i $< -o $@

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi forum seed-demo --with-applications
	$(BIN)/python wsgi.py

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ln:1,2 -k lazy_ngettext:1,2 \
	  --project "SDG Forum" --version 0.1.0 --copyright-holder "SDG Forum" \
	  --add-comments "TRANSLATORS:" --sort-by-file -o $(POT) .
	for locale in $(LOCALES); do \
	  po=translations/$$locale/LC_MESSAGES/messages.po; \
	  if [ -f $$po ]; then \
	    $(BIN)/pybabel update --ignore-obsolete -i $(POT) -d translations -l $$locale || exit 1; \
	  else \
	    $(BIN)/pybabel init -i $(POT) -d translations -l $$locale || exit 1; \
	  fi; \
	done
	if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile -d translations --statistics; fi

clean:
	rm -rf $(VENDOR) node_modules translations/*/LC_MESSAGES/*.mo .pytest_cache .ruff_cache
