# SDG Forum — setup, run and checks.
#
#   make install   virtualenv + the Python deps pinned (with hashes) in requirements.lock,
#                  front-end libraries, compiled catalogs
#   make lock      re-resolve requirements.lock from pyproject.toml (LOCK_ARGS=--upgrade)
#   make run       install, migrate, load the demo data, serve on http://127.0.0.1:5000
#   make test      install, then the whole test suite (PYTEST_ARGS="-k room -x" to narrow)
#   make lint      ruff check, ruff format --check, mypy, import contracts (lint-imports)
#   make i18n      extract messages, update (or create) the catalogs, compile them
#
# FORUM_* variables pass through to the app, from the environment or the command line:
#   make run FORUM_PORT=5050 FORUM_INSTANCE_PATH=/tmp/forum

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamp of the last successful Python install; redone when the lock or pyproject.toml changes.
STAMP := $(VENV)/.installed
# Every Python package, dev tools included, at one version with its hashes. Made by
# `make lock` (uv pip compile); `make install` only reads it.
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check

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

LOCK_ARGS ?=

.PHONY: help install lock run test lint i18n clean

help:
	@sed -n '2,13s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

install: $(STAMP) $(VENDOR_FILES) $(MO_FILES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the locked versions, each checked against its hashes; then this project itself,
# editable, built by the locked setuptools. pip check fails if pyproject.toml asks for
# something the lock lacks (then: make lock), or a package left in .venv by hand needs
# something the lock does not have.
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check || { echo "pip check failed: if pyproject.toml changed, run make lock;" \
	  "else rm -rf $(VENV) and make install again" >&2; exit 1; }
	touch $@

# Re-resolves the lock for Python 3.11+ on every platform, keeping the pinned versions
# unless pyproject.toml needs others (LOCK_ARGS=--upgrade, or --upgrade-package NAME).
lock: | $(BIN)/python
	$(BIN)/uv --version >/dev/null 2>&1 || $(PIP) install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --generate-hashes --custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o $(LOCK)

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
	$(BIN)/flask --app wsgi forum seed-demo --with-applications --with-showcase --with-case
	$(BIN)/python wsgi.py

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Each check runs even when one before it failed; lint fails if any did.
lint: $(STAMP)
	@status=0; \
	for check in "ruff check ." "ruff format --check --output-format concise ." "mypy" \
	    "lint-imports"; do \
	  echo "$(BIN)/$$check"; $(BIN)/$$check || status=1; \
	done; exit $$status

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
