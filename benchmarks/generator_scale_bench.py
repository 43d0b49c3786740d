"""Generator memory and time at 1M rows × 20 columns (issue 4: peak memory ≤ 8 GB).

A scaled-up sample of UCI Adult: its 15 columns resampled (with replacement, seeded) to
``--rows`` rows, plus 5 derived columns so the table has 20 (two numerics with noise,
a date, two categoricals built from existing ones), all declared public in the schema
as in ``adult_bench.py``. Each engine runs in its own process (peak RSS is its own):
read the CSV, fit at ε = 1, δ = 1e-9, sample ``--rows`` rows, write them.

    .venv/bin/python benchmarks/generator_scale_bench.py --rows 1000000 \\
        --json out/bench-generator-scale.json

Printed per engine: seconds for read / fit / sample / write and the process's peak RSS.
No data value is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adult_bench

EXTRA_NUMS = {"income-score": (0, 1000), "commute-min": (0, 180)}
EXTRA_CATS = {
    "region": ["north", "south", "east", "west", "central"],
    "age-band": ["<30", "30-44", "45-59", "60+"],
}


def build(rows: int, seed: int, path: Path) -> None:
    train, _test = adult_bench.load()
    rng = np.random.default_rng(seed)
    df = train.iloc[rng.integers(0, len(train), rows)].reset_index(drop=True)
    df["income-score"] = np.clip(
        rng.normal(400 + 200 * (df["income"] == ">50K"), 120), 0, 1000
    ).round()
    df["commute-min"] = np.clip(rng.gamma(2.0, 12.0, rows), 0, 180).round()
    df["visit-date"] = (
        pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1461, rows), unit="D")
    ).strftime("%Y-%m-%d")
    df["region"] = np.array(EXTRA_CATS["region"])[rng.integers(0, 5, rows)]
    df["age-band"] = pd.cut(
        pd.to_numeric(df["age"]), [0, 29, 44, 59, 200], labels=EXTRA_CATS["age-band"]
    ).astype(str)
    df.to_csv(path, index=False)


def schema():
    from synth.schema import parse_schema

    base = adult_bench.schema().model_dump(mode="json", exclude_none=True)
    for name, (lo, hi) in EXTRA_NUMS.items():
        base["columns"].append(
            {"name": name, "type": "numerical", "domain": {"min": lo, "max": hi, "precision": 0}}
        )
    base["columns"].append(
        {
            "name": "visit-date",
            "type": "datetime",
            "format": "%Y-%m-%d",
            "domain": {"min": "2020-01-01", "max": "2023-12-31"},
        }
    )
    for name, cats in EXTRA_CATS.items():
        base["columns"].append(
            {"name": name, "type": "categorical", "domain": {"categories": cats}}
        )
    return parse_schema(base)


def run_one(engine: str, path: Path, rows: int) -> dict:
    from synth.io.tables import read_table, write_table
    from synth.synthesizer import Synthesizer

    out: dict = {"engine": engine, "rows": rows}
    t = time.perf_counter()
    data = read_table(path)
    out["columns"] = data.shape[1]
    out["read_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    model = Synthesizer(schema(), epsilon=1.0, delta=1e-9, engine=engine, seed=0).fit(data)
    out["fit_s"] = round(time.perf_counter() - t, 1)
    del data
    t = time.perf_counter()
    syn = model.sample(rows, seed=0)
    out["sample_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_table(syn, Path(tmp) / "synthetic.csv")
    out["write_s"] = round(time.perf_counter() - t, 1)
    out["spent_epsilon"] = round(model.ledger.spent()[0], 4)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--engines", default="mst,dpsgd")
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.engine:
        print(json.dumps(run_one(args.engine, Path(args.data), args.rows)))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "adult-scaled.csv"
        t = time.perf_counter()
        build(args.rows, 0, path)
        print(f"built {args.rows:,} rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        for engine in args.engines.split(","):
            cmd = [sys.executable, __file__, "--engine", engine, "--data", str(path)]
            cmd += ["--rows", str(args.rows)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                res = {"engine": engine, "error": proc.stderr.strip().splitlines()[-1:]}
            else:
                res = json.loads(proc.stdout.strip().splitlines()[-1])
            print(json.dumps(res))
            results.append(res)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
