# Taskflow developer commands. Every target installs what it needs first (make setup).
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= uv
SERVICES := $(notdir $(wildcard services/*))
PYTEST_ARGS ?=

.PHONY: help setup services deploy-tools db dev test test-fast test-slow fuzz lint fmt migrate clean openapi catalog clients seed screenshots bench admin loadtest

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install uv if missing and sync the Python workspace (inexact: keeps the bench group that make loadtest adds)
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --user --break-system-packages uv
	@$(UV) sync --all-packages --frozen --inexact --quiet

services: ## make sure PostgreSQL, RabbitMQ and Redis answer on loopback, nginx is installed
	@infra/local/ensure-services.sh
	@infra/local/ensure-tools.sh

db: services setup ## create the dev database with its schemas and roles
	@$(UV) run python -m taskflow.testing.devdb

migrate: db ## run every service's migrations on the dev database
	@for s in $(SERVICES); do echo "migrate $$s"; $(UV) run --package taskflow-$$s taskflow-$$s migrate || exit 1; done

dev: ## run the whole system on http://localhost:8080 (Ctrl-C stops it)
	@infra/local/dev.sh

deploy-tools: ## install helm, checkov and the validators infra/tests uses into .dev/tools (cached)
	@infra/local/ensure-deploy-tools.sh

test: services setup deploy-tools ## run every test against the real local servers
	@$(UV) run pytest $(PYTEST_ARGS)

test-slow: services setup ## the long fault runs (10,000 events through broker restarts, 20 worker kills)
	@TASKFLOW_FAULTS_SLOW=1 $(UV) run pytest faults -p no:timeout -s $(PYTEST_ARGS)

FUZZ_EXAMPLES ?= 100

fuzz: services setup ## schemathesis over every service's API, FUZZ_EXAMPLES (100) per operation and mode
	@TASKFLOW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(UV) run pytest --timeout=0 \
		$(wildcard services/*/tests/test_fuzz.py) $(PYTEST_ARGS)

#: Tests of pure logic (no server, no fixture that reaches one): they run in seconds.
PURE_TESTS := libs/common/tests/test_text_safety.py libs/common/tests/test_settings.py \
	libs/events/tests/test_contracts.py services/auth/tests/test_units.py \
	services/audit/tests/chain/test_verify.py services/audit/tests/chain/test_hashing.py
#: The service whose whole suite runs in the fast lane: the smallest complete one (api, chain,
#: batched worker, retention, parking); 13 s of CPU.
FAST_SERVICE ?= audit

test-fast: services setup ## the pure tests and one service's suite (FAST_SERVICE=audit), under a minute
	@$(UV) run pytest $(PURE_TESTS) services/$(FAST_SERVICE)/tests $(PYTEST_ARGS)

lint: setup ## ruff, mypy (strict on libs), import-linter and deptry (each package's declared dependencies)
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@$(UV) run mypy libs/common/src libs/events/src libs/testing/src
	@for s in $(SERVICES); do MYPYPATH=services/$$s/src $(UV) run mypy services/$$s/src || exit 1; done
	@$(UV) run lint-imports
	@for p in libs/* services/*; do \
		(cd $$p && $(UV) run --no-sync deptry src $$([ -d migrations ] && echo migrations) --no-ansi) || exit 1; \
	done

fmt: setup ## format and autofix
	@$(UV) run ruff format .
	@$(UV) run ruff check --fix .

catalog: setup ## regenerate the JSON Schema catalog of events in docs/events
	@$(UV) run python -m taskflow.events.catalog docs/events

openapi: setup ## regenerate every committed services/*/openapi.json
	@for s in $(SERVICES); do $(UV) run python -m taskflow.common.openapi taskflow.$$s.main:app services/$$s/openapi.json || exit 1; done

clients: setup ## generate the typed clients: Python (clients/python/<svc>) and the web app's (frontend/src/api/generated)
	@$(UV) run --no-sync python infra/local/clients.py
	@if [ -f frontend/package.json ]; then \
		$(UV) run --no-sync python infra/local/webapp.py install && (cd frontend && npm run --silent gen:api); \
	fi

seed: setup ## load demo data through the gateway of a running `make dev`
	@$(UV) run --no-sync python infra/local/seed.py

screenshots: setup ## PNGs of the main screens into docs/screenshots (needs make dev + make seed)
	@$(UV) run --no-sync python infra/local/screenshots.py

bench: services setup ## run the benchmarks in bench/ (see docs/performance.md)
	@$(UV) run pytest bench -p no:timeout --benchmark-only $(PYTEST_ARGS)

admin: migrate ## create or promote an account: make admin EMAIL=... PASSWORD=... [ROLE=admin|auditor|user]
	@test -n "$(EMAIL)" -a -n "$(PASSWORD)" || { echo "usage: make admin EMAIL=... PASSWORD=... [ROLE=admin]"; exit 2; }
	@AUTH_ADMIN_PASSWORD="$(PASSWORD)" $(UV) run --package taskflow-auth taskflow-auth create-admin --email "$(EMAIL)" --role "$(or $(ROLE),admin)"

clean: ## remove caches and local state
	rm -rf .venv .dev .pytest_cache .mypy_cache .ruff_cache .benchmarks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

loadtest: services setup ## the whole system under a team's load through the gateway, beside its floors (docs/performance.md)
	@$(UV) run --group bench python bench/loadtest $(LOADTEST_ARGS)
