"""Run mostlyai-qa's report on Parquet files; print one JSON line (time and its metrics).

Runs in the peers' virtualenv (``/tmp/peers/bin/python``), called by the leakage
benchmark. Offline: Hugging Face downloads are disabled, so a model the report wants
but is not cached makes it fail, and the benchmark says so. Only aggregate metrics,
sizes and times are printed, never a data value.

    /tmp/peers/bin/python benchmarks/peers_leakage/mostlyai_run.py JOB.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pandas as pd


def _plain(x: object) -> object:
    """Pydantic models and nested values as JSON-able plain data (numbers only)."""
    if hasattr(x, "model_dump"):
        x = x.model_dump()
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x if isinstance(x, int | float | bool) or x is None else str(x)


def main(job_path: str) -> int:
    from mostlyai import qa  # type: ignore[import-not-found]

    job = json.loads(Path(job_path).read_text())
    trn, hol, syn = (pd.read_parquet(job[k]) for k in ("train", "holdout", "synthetic"))
    start = time.perf_counter()
    _, metrics = qa.report(
        syn_tgt_data=syn,
        trn_tgt_data=trn,
        hol_tgt_data=hol,
        report_path=job["report"],
        max_sample_size_accuracy=len(trn),
        max_sample_size_embeddings=len(trn),
    )
    wall = time.perf_counter() - start
    m = _plain(metrics) or {}
    print(
        json.dumps(
            {
                "peer": f"mostlyai-qa {version('mostlyai-qa')} report",
                "seconds": round(wall, 2),
                "metrics": m.get("distances") if isinstance(m, dict) else None,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
