# Two commands on a fresh machine: `make lab` and `make test`. Both create or update .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: lab test lint benchmark clean

# Reinstall whenever pyproject.toml changes (new dependency, new version range).
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

lab: $(INSTALLED)  ## start JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

test: $(INSTALLED)  ## the whole test suite, lint included
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .

benchmark: $(INSTALLED)  ## throughput figures for benchmarks/README.md
	$(BIN)/python benchmarks/train_step.py

clean:  ## remove the environment and training runs (data/ is kept)
	rm -rf $(VENV) runs
