# Baza — `make run` starts the whole product, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test lint fmt bench translations messages migrate-check clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

# Compiled catalogs are build output (git-ignored); the .po files are the source.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d saas/translations -D messages

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) serve

test: $(VENV)/.installed-dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

# tenancy/audit overhead, then the customer lists over HTTP (1,000,000 customers on
# BENCH_DATABASE_URL / TEST_DATABASE_URL, else 100,000 on SQLite; BENCH_ARGS e.g. --fresh --explain)
bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m tests.benchmarks
	$(BIN)/python -m tests.benchmarks.customer_list $(BENCH_ARGS)
	$(BIN)/python -m tests.benchmarks.printouts
	$(BIN)/python -m tests.benchmarks.exports $(EXPORT_BENCH_ARGS)
	$(BIN)/python -m tests.benchmarks.imports $(IMPORT_BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The README's screenshots (English, Chinese, Persian) and the landing page's picture, taken by
# Debian's Chromium through Playwright (tests/browser/test_screenshots.py) with demo data.
screenshots: $(VENV)/.installed-dev translations
	BAZA_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_screenshots.py
	cp docs/screenshots/en-dashboard.png static/img/dashboard.png

# Re-extract strings into the catalogs after changing templates or code.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k NP_:1c,2 -o saas/translations/messages.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -i saas/translations/messages.pot -d saas/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
