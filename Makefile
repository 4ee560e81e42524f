# Two commands for users: `make demo` and `make test`. Everything else here is plumbing
# that installs only what is missing (stamps under .cache/stamps), so reruns are quiet.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .cache/stamps

# Demo knobs: make demo SCHEMA=services/batch/schemas/retail_orders.json ROWS=50000
# FAULTS='{"late": {"p": 0.05, "max": "10 minutes"}, "duplicates": {"p": 0.03}}'
# (stream faults of the live producer; docs/STREAMCHECK.md); EVENT_FORMAT=avro (or json-schema)
# starts a schema registry too and streams Confluent's wire format
SCHEMA ?= services/batch/schemas/card_transactions.json
ROWS ?=
RATE ?= 200
TIME_SCALE ?= 60
TRIGGER ?= 10 seconds
FAULTS ?=
EVENT_FORMAT ?=

.PHONY: demo test setup setup-test lint

demo: setup
	@$(PY) -m services.demo --schema "$(SCHEMA)" $(if $(ROWS),--rows $(ROWS)) \
		--rate "$(RATE)" --time-scale "$(TIME_SCALE)" --trigger "$(TRIGGER)" \
		$(if $(FAULTS),--faults "$$FAULTS") $(if $(EVENT_FORMAT),--format "$(EVENT_FORMAT)")

test: setup-test
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff check .

setup: $(STAMPS)/python $(STAMPS)/jvm $(STAMPS)/node

setup-test: setup
	@scripts/setup.sh chromium

$(STAMPS)/python: pyproject.toml scripts/setup.sh
	@scripts/setup.sh python
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/jvm: $(wildcard jvm/*/pom.xml) scripts/setup.sh
	@scripts/setup.sh jvm
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json scripts/setup.sh
	@scripts/setup.sh node
	@mkdir -p $(STAMPS) && touch $@
