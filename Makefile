# Vektor: `make run` starts the portal with demo data, `make test` runs the whole suite.
# Each target sets up what it needs: the virtual environment, the dependencies, the
# compiled translations and the database schema.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
CATALOGUES := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run serve test bench translations extract-messages check-system lint clean

run: $(VENV)/.installed translations check-system
	@$(BIN)/flask --app wsgi portal migrate
	@$(BIN)/flask --app wsgi portal seed-demo --if-empty
	@echo
	@echo "Vektor is starting at http://127.0.0.1:$(PORT)/  (stop it with Ctrl+C)"
	@echo
	@$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with the settings of portal/gunicorn_conf.py against
# PORTAL_DATABASE_URL; it refuses to start without a real PORTAL_SECRET_KEY (docs/DEPLOY.md).
serve: export PORTAL_ENV ?= production
serve: $(VENV)/.installed translations check-system
	@$(BIN)/python -m portal.gunicorn_conf
	@$(BIN)/flask --app wsgi portal migrate
	@exec $(BIN)/gunicorn --config python:portal.gunicorn_conf wsgi:app

test: $(VENV)/.installed-test translations check-system
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (docs/PERFORMANCE.md): gunicorn with the production settings under wrk, on the
# PostgreSQL database BENCH_DATABASE_URL (default: vektor_bench on 127.0.0.1 as postgres),
# created and filled by bench/generate.py when it holds no application. Prints a table and
# rewrites the figures of docs/PERFORMANCE.md; BENCH_ARGS go to bench/run.py (--help).
# Not part of `make test` or CI: run it on a quiet machine.
bench: $(VENV)/.installed translations check-system
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "The benchmarks need wrk, the HTTP load generator. Install it, then run again:"; \
	  echo "  Debian/Ubuntu: sudo apt-get install wrk"; \
	  echo "  macOS:         brew install wrk"; \
	  exit 1; }
	$(BIN)/python -m bench.run --prepare $(BENCH_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

translations: $(COMPILED)

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Refresh the catalogues after changing user-visible strings; then translate the new ones.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs '.* __pycache__ .venv' --no-location --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

# WeasyPrint needs Pango from the operating system; say which package when it is missing.
check-system: $(VENV)/.installed
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo "WeasyPrint cannot find the Pango library it needs to make PDFs."; \
	  echo "Install it, then run the command again:"; \
	  echo "  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; \
	  echo "  Fedora:        sudo dnf install pango"; \
	  echo "  macOS:         brew install pango"; \
	  exit 1; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check portal tests migrations

clean:
	rm -rf $(VENV) instance .pytest_cache
