# Two commands do everything:
#   make reports   set up .venv if missing, fetch + build the data, render the HTML pack
#   make test      set up .venv if missing, run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LA ?= E08000029

.PHONY: reports test data lint benchmark clean-data help lab

help:
	@echo "make reports   fetch + build the data and render the HTML pack for $(LA) into reports/"
	@echo "make test      run the test suite"
	@echo "make lab       open the notebooks in JupyterLab"
	@echo "make lint      ruff"
	@echo "make benchmark run the benchmarks in benchmarks/"

# (Re)create the virtual environment when it is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

data: $(STAMP)
	$(BIN)/solihull-analytics data fetch
	$(BIN)/solihull-analytics data build

reports: data
	$(BIN)/solihull-analytics report --la $(LA)

test: $(STAMP)
	$(BIN)/python -m pytest

# Explore the notebooks interactively (installs JupyterLab into .venv on first use).
lab: $(STAMP)
	@test -x $(BIN)/jupyter-lab || $(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/data_build.py
	$(BIN)/python benchmarks/report.py

clean-data:
	chmod -R u+w data/raw 2>/dev/null || true
	rm -rf data/raw/* data/processed/*
