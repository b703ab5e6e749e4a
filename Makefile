# The hub's task runner. `make help` lists the targets; the README's two set-up commands are
# `make demo` (the main job) and `make test` (the whole suite, as CI runs it).
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help setup demo test unit lint up down status bench reliability

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: ## Install Java, Maven, PostgreSQL (if missing), the virtualenv and the Kafka jars
	@bash ops/setup.sh

demo: setup ## The main job: bring the local stack up and run the synthetic multi-agency scenario
	$(BIN)/hub demo

test: setup lint ## The whole test suite: lint, types, import contracts, unit + integration + e2e
	$(BIN)/pytest

unit: ## Only the pure unit tests (seconds, no broker or database)
	$(BIN)/pytest tests/unit

lint: ## ruff (lint + format), mypy and the import-linter contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy streams schemas projections ops tests
	$(BIN)/lint-imports

up: ## Start the local stack in the background
	$(BIN)/hub up --detach

down: ## Stop the local stack
	$(BIN)/hub down

status: ## Show what is running
	$(BIN)/hub status

bench: setup ## Benchmark against the targets on a private stack: results/bench-*.json and a plot
	$(BIN)/hub bench

reliability: setup ## Fault injection and load at the issue's full sizes (long: see tests/reliability)
	HUB_RELIABILITY_FULL=1 HUB_RELIABILITY_EVENTS=100000 HUB_RELIABILITY_KILLS=5 HUB_RELIABILITY_FUZZ=20000 \
	HUB_RELIABILITY_LOAD_SECONDS=600 HUB_RELIABILITY_LOAD_RATE=2000 \
	$(BIN)/pytest tests/reliability tests/integration/test_bench.py \
		-m reliability -p no:cacheprovider --timeout=7200 -s
