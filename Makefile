# The two commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt package-lock.json | sha256sum | cut -c1-12)
VENDOR := src/gouvernail/portal/static/vendor
export GOUVERNAIL_DATA_DIR ?= var
TEST_WORKERS ?= 2  # pytest-xdist workers (each test still gets its own databases)

.PHONY: serve test lint types unit bench openapi messages clean

$(STAMP): pyproject.toml constraints.txt package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error  # the portal's htmx, axe-core for the tests
	mkdir -p $(VENDOR) && cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	rm -f $(VENV)/.installed-* && touch $(STAMP)

serve: $(STAMP)
	$(BIN)/gouvernail bootstrap --charter examples/charter.yaml
	$(BIN)/gouvernail serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --junitxml=$(GOUVERNAIL_DATA_DIR)/junit.xml

test: lint types unit

bench: $(STAMP)
	$(BIN)/python benchmarks/audit_throughput.py

openapi: $(STAMP)
	GOUVERNAIL_DATA_DIR=$$(mktemp -d) $(BIN)/gouvernail openapi docs/openapi.json

messages: $(STAMP)  # the portal's messages: extract, then merge into each catalogue
	cd src/gouvernail/portal && ../../../$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ \
	  --no-location --sort-output --omit-header -o locales/messages.pot . \
	  && ../../../$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages \
	  --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) var node_modules $(VENDOR) .coverage .pytest_cache .mypy_cache .ruff_cache
