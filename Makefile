# Two set-up commands (README quick start): `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

LAB ?= .lab

## run: install, render the seed's media vCluster locally, then run the whole road in a fresh lab
run: $(STAMP)
	$(BIN)/kratix-lab render sample_requests/media.yaml
	$(BIN)/kratix-lab --lab $(LAB) lab init --force
	$(BIN)/kratix-lab --lab $(LAB) submit sample_requests/media.yaml
	$(BIN)/kratix-lab --lab $(LAB) submit sample_requests/dev.yaml
	$(BIN)/kratix-lab --lab $(LAB) settle
	$(BIN)/kratix-lab --lab $(LAB) lab status
	$(BIN)/kratix-lab --lab $(LAB) get vclusterorchestrators
	@echo "The lab is in $(LAB): try 'kratix-lab --lab $(LAB) get applications -n argocd' or 'kratix-lab --lab $(LAB) repo log'"

## test: install, lint, then run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_lab.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
