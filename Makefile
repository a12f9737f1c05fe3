# Two set-up commands (README quick start): `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean notebooks notebooks-refresh soak book image

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
	@echo "The lab is in $(LAB): open the dashboard with '$(BIN)/kratix-lab --lab $(LAB) tui', or try '$(BIN)/kratix-lab --lab $(LAB) trace vclusterorchestrator/media'"

## test: install, lint, then run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

## soak: the robustness suite (tests/robustness/) at length: many kill -9 trials of settle/submit/delete,
## failed pushes, full disks, concurrent writers (and the intake fuzzers), then trials per kind.
## KRATIX_LAB_SOAK sets the size: 1 (the default here) gives each suite its long count, N>1 N trials per kind;
## unset (make test) gives the short, under-a-minute version.
KRATIX_LAB_SOAK ?= 1
soak: $(STAMP)
	KRATIX_LAB_SOAK=$(KRATIX_LAB_SOAK) $(BIN)/pytest -n 2 -q -p tests.robustness.soak_report tests/robustness/

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## notebooks: open the cookbook in JupyterLab
notebooks: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(JUPYTER_ARGS) notebooks/

## image: the catalogue's pipeline image, tagged as the Promises reference it (podman: sudo scripts/setup-podman.sh)
image: $(STAMP)
	$(BIN)/python scripts/build_image.py

## book: the cookbook as a static website (Jupyter Book 2) from the notebooks' stored outputs, in build/book/html
book: $(STAMP)
	$(BIN)/python book/build.py

## notebooks-refresh: re-run every notebook and store its outputs (what nbval compares)
notebooks-refresh: $(STAMP)
	$(BIN)/python notebooks/regenerate.py

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_lab.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
