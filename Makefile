# Two commands on a fresh machine: `make lab` and `make test`. Both create or update .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

COLAB_VENV := .venv-colab
COLAB_INSTALLED := $(COLAB_VENV)/.installed

.PHONY: lab test test-fast test-colab lint benchmark clean

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

test-fast: $(INSTALLED)  ## the everyday loop: all but the browser and the slow tests (markers in pyproject.toml)
	$(BIN)/python -m pytest -m "not browser and not slow"

# Colab's own package versions (.ci/colab-packages.txt), without this package: the setup cell adds it.
$(COLAB_INSTALLED): .ci/colab-packages.txt
	test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r .ci/colab-packages.txt
	touch $(COLAB_INSTALLED)

test-colab: $(COLAB_INSTALLED)  ## the kernel-side tests against a copy installed as Colab's setup cell installs it
	.ci/test-installed $(COLAB_VENV)/bin/python

lint: $(INSTALLED)
	$(BIN)/ruff check .

benchmark: $(INSTALLED)  ## throughput figures for benchmarks/README.md
	$(BIN)/python benchmarks/train_step.py

clean:  ## remove the environment and training runs (data/ is kept)
	rm -rf $(VENV) $(COLAB_VENV) runs
