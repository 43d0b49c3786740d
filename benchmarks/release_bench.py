"""Benchmark: wall time and peak memory of each release stage on the sample table.

Run:  .venv/bin/python benchmarks/release_bench.py [--data sample_data/patients.csv]
      [--schema schemas/patients.yaml] [--epsilon 1] [--repeat 1] [--json out/bench-release.json]

Prints one JSON object per run and a summary; the issue target is the whole release of
sample_data/ in under 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "sample_data" / "patients.csv"))
    ap.add_argument("--schema", default=None, help="reviewed schema (default: scan's draft)")
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from synth.releasing import run_release

    runs = []
    for i in range(args.repeat):
        stages: dict[str, float] = {}
        last = {"t": time.perf_counter()}

        def progress(what: str, done: int, total: int, _s=stages, _l=last) -> None:
            now = time.perf_counter()
            _s[what] = _s.get(what, 0.0) + now - _l["t"]
            _l["t"] = now

        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            res = run_release(
                args.data,
                epsilon=args.epsilon,
                out_dir=Path(tmp) / "out",
                schema_path=args.schema,
                seed=i,
                progress=progress,
            )
            total = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        run = {
            "run": i,
            "seconds": round(total, 1),
            "passed": res.passed,
            "epsilon_spent": round(res.epsilon_spent, 4),
            "peak_rss_mb": round(peak_mb),
            "stages_s": {k: round(v, 1) for k, v in stages.items()},
        }
        runs.append(run)
        print(json.dumps(run), flush=True)
    summary = {
        "data": args.data,
        "schema": args.schema or "scan draft",
        "epsilon": args.epsilon,
        "runs": runs,
        "max_seconds": max(r["seconds"] for r in runs),
        "target_seconds": 300,
    }
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
    return 0 if all(r["passed"] for r in runs) else 3


if __name__ == "__main__":
    sys.exit(main())
