#!/usr/bin/env bash
# Build the SmartNoise Synth peer environment for benchmarks/adult_bench.py (issue 4).
#
# smartnoise-synth cannot share the product's environment: it pins opacus < 0.15 and
# mbi < 2, while the product needs opacus 1.6 and mbi 2.0. So the peers run from their own
# virtualenv, launched as subprocesses by the benchmark.
#
#   bash benchmarks/peers/setup_smartnoise.sh            # -> .peers/smartnoise
#   SMARTNOISE_VENV=/tmp/sn bash benchmarks/peers/setup_smartnoise.sh
#
# torch is pinned to 2.13.0, the CPU wheel on this machine's disk: any other version makes
# pip pull a multi-GB CUDA build. opacus 0.14 declares no upper bound on torch, so the pin
# holds; SDV (non-private reference peers) also goes in so the peer runner can use it here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${SMARTNOISE_VENV:-$ROOT/.peers/smartnoise}"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/pip" install --disable-pip-version-check -q)
"${PIP[@]}" --upgrade pip wheel
"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" "torch==2.13.0" "smartnoise-synth==1.0.8" "scikit-learn" "pandas"
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md

for pkg in ("smartnoise-synth", "mbi", "opacus", "torch", "pandas", "numpy"):
    print(f"{pkg}=={md.version(pkg)}")
PY
