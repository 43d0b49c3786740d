# Two entry points (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: setup demo test test-all lint bench clean

setup: $(STAMP)

# torch is pinned to the CPU 2.13.0 wheel in pyproject.toml, so pip never pulls a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/synth release sample_data/patients.csv --schema schemas/patients.yaml \
		--epsilon 1 --out out/patients --overwrite --json out/patients-release.json

test: setup
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

lint: setup
	$(BIN)/ruff check synth privacy tests benchmarks sample_data
	$(BIN)/ruff format --check synth privacy tests benchmarks sample_data

clean:
	rm -rf out .pytest_cache
