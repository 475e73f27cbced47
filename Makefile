# Two commands do all set-up on a fresh machine with Python 3.11 and pip: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

# Share of the national registry the sample zone holds (0.001 = 29 k legal units, 42 k establishments).
SCALE ?= 0.01
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: help install sample materialize summary run test test-calendar test-spark spark dev docs validate bench bench-matching bench-scoring bench-backtest bench-daily bench-crm-api bench-prediction bench-spark postgres-server clean

help:
	@echo "make run       install, generate the sample landing zone, materialise every asset, print a summary"
	@echo "make test      install and run the whole test suite"
	@echo "make test-calendar  the date-sensitive tests again on other days (CALENDAR_DATES), as CI does"
	@echo "make test-spark     the dbt project and the Dagster pipeline on Apache Spark against DuckDB (Java 17; ~20 min)"
	@echo "make dev       open the Dagster UI on http://127.0.0.1:3000"
	@echo "make docs      serve the dbt documentation (models, columns, lineage) on http://127.0.0.1:8080"
	@echo "make bench     national-scale benchmark of the registry (long; never in CI)"
	@echo "make bench-matching  national-scale CRM, intent and matching benchmark (long; never in CI)"
	@echo "make bench-scoring   national-scale scoring of 1 M leads (after bench-matching; never in CI)"
	@echo "make bench-backtest  national-scale backtest, 1 M leads x 26 weekly dates (after bench-matching; never in CI)"
	@echo "make bench-daily     national-scale daily refresh against a full rebuild (after bench-matching; never in CI)"
	@echo "make bench-crm-api   CRM pull and push throughput against the local HubSpot and Salesforce stand-ins"
	@echo "make bench-prediction  the predictive model's weekly training and daily scoring, 1 M leads x 26 dates"
	@echo "make bench-spark     dbt on Spark against DuckDB on the same landed data, at 10 % scale (Java 17; long)"

install:
	@$(UV) --version >/dev/null 2>&1 || { echo "Installing uv with pip…"; python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore uv; }
	@[ -x .venv/bin/dagster ] || echo "Installing the locked environment (uv.lock) into .venv: a few minutes the first time…"
	@$(UV) sync --frozen --inexact --quiet
	@mkdir -p "$(DAGSTER_HOME)" && cp orchestration/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"
	@if [ -n "$$DAGSTER_PG_HOST" ]; then cat orchestration/dagster.postgres.yaml >> "$(DAGSTER_HOME)/dagster.yaml"; fi

sample: install
	@$(UV) run python -m ingestion.sample_data --scale $(SCALE)

# one line per phase on the terminal, the full log in data/logs/, the summary at the end (JOB=daily_refresh, …)
JOB ?= all_assets
materialize: install
	@$(UV) run python -m orchestration.materialize --job $(JOB)

summary: install
	@$(UV) run python -m publication.summary

run: sample materialize

# two workers, each test file on one of them (a file's module fixtures are built once), the slowest files first
# (tests/conftest.py): about 15 minutes on 2 cores
PYTEST_WORKERS ?= 2
test: install postgres-server
	$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Debian's PostgreSQL server, for the test of Dagster's Postgres storage (tests/test_live_dagster_postgres.py)
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
		echo "Installing PostgreSQL (Debian's postgresql) for the Postgres-backed Dagster test…"; \
		apt-get install -y -q postgresql >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }; }

# The suite pins one as-of date (tests/conftest.py); these tests again with it moved, to prove no test reads the
# calendar: the first of a month months away, and a month end.
CALENDAR_DATES ?= 2027-03-01 2026-08-31
CALENDAR_TESTS := tests/test_incremental.py tests/test_backtest.py tests/test_scoring.py tests/test_funnel.py \
	tests/test_publish.py tests/test_crm_intent_landing.py tests/test_automation.py
test-calendar: install
	@set -e; for day in $(CALENDAR_DATES); do \
		echo "== the date-sensitive tests with the suite's as-of date moved to $$day"; \
		LEADS_TEST_AS_OF=$$day $(UV) run pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(CALENDAR_TESTS); \
	done

# Apache Spark (pyspark, dbt-spark; the optional uv group spark) and Debian's Java 17 runtime, which Spark runs on
spark: install
	@command -v java >/dev/null || { echo "Installing Java 17 (Debian's openjdk-17-jre-headless) for Spark…"; \
		apt-get install -y -q openjdk-17-jre-headless >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q openjdk-17-jre-headless >/dev/null; }; }
	@$(UV) sync --frozen --inexact --group spark --quiet

# The parity test: the sample zone landed once, dbt built on DuckDB and on Spark, every model's rows compared, then a
# next day; and every asset run by Dagster with LEADS_ENGINE=spark, its published marts compared with the DuckDB
# run's (tests/test_spark_parity.py). Not in `make test`: it would take the suite past 15 minutes; the suite has a
# cheap guard for each mismatch Spark once showed (tests/test_spark_guards.py).
test-spark: spark
	LEADS_TEST_SPARK=1 $(UV) run --frozen --group spark pytest -s tests/test_spark_parity.py

validate: install
	$(UV) run dagster definitions validate -m orchestration.definitions

dev: install
	$(UV) run dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# the catalogue (column types) is read from the warehouse: after `make run`
DOCS_PORT ?= 8080
docs: install
	cd dbt_project && $(UV) run dbt docs generate --quiet && \
		$(UV) run dbt docs serve --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

bench: install
	$(UV) run python -m bench.registry

bench-matching: install
	$(UV) run python -m bench.crm_matching

bench-scoring: install
	$(UV) run python -m bench.scoring

bench-backtest: install
	$(UV) run python -m bench.backtest

bench-daily: install
	$(UV) run python -m bench.daily_refresh

bench-crm-api: install
	$(UV) run python -m bench.crm_api

bench-prediction: install
	$(UV) run python -m bench.prediction

BENCH_SPARK_SCALE ?= 0.1
bench-spark: spark
	$(UV) run --frozen --group spark python -m bench.spark --scale $(BENCH_SPARK_SCALE)

clean:
	rm -rf data/landing data/warehouse.duckdb* data/tmp data/published dbt_project/target
