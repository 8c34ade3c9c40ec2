# Quickstart targets. `make run` and `make test` each do all the set-up on a fresh machine (Python 3.11+).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

install: $(STAMP)

## Build the warehouse on the bundled data (dbt build: validation, features, model, personas, report)
run: $(STAMP)
	$(BIN)/smartcart run

## The whole test suite: pytest (unit + real dbt builds in subprocesses) and dbt's own tests via those builds
# Tests run on TEST_WORKERS processes (pytest-xdist; each test builds into its own temporary folder).
# worksteal: each worker starts on a contiguous half (module fixtures are built once per worker) and
# takes over queued tests of the other when it runs out. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

## Benchmarks at the sizes the issues name (prints wall time and peak memory; minutes, not for CI)
bench: $(STAMP)
	$(BIN)/python bench/customers_benchmark.py --rows 100000 1000000

## Python (ruff, import contracts, mypy), SQL (sqlfluff: dbt templater, duckdb dialect; .sqlfluff) and dbt
## metadata (dbt-score: owners, descriptions, tests; at least 9.5)
# sqlfluff compiles the models with dbt against a scratch database under target/, never the warehouse.
lint: $(STAMP)
	$(BIN)/ruff check ml tests bench
	$(BIN)/ruff format --check ml tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	SMARTCART_DUCKDB_PATH=target/sqlfluff/lint.duckdb SMARTCART_ARTIFACTS_DIR=target/sqlfluff/artifacts \
		SMARTCART_REPORTS_DIR=target/sqlfluff/reports $(BIN)/sqlfluff lint --processes 0 dbt_project/models
	SMARTCART_DUCKDB_PATH=target/sqlfluff/lint.duckdb $(BIN)/dbt-score lint --run-dbt-parse \
		--fail-project-under 9.5 --show failing-items

clean:
	rm -rf target logs data/warehouse data/artifacts data/generated
