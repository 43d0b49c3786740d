"""Benchmark: time and peak memory of each stage on a 1M-row × 30-column table.

Run:  /tmp/vt/bin/python benchmarks/limits_bench.py [--rows 1000000] [--check-rows 20000]
      [--epsilon 1] [--engine auto] [--json out/bench-limits.json]

The table is invented and deterministic (numpy seed 0): one record id, 13 categorical
columns (2 to 60 levels), 8 integer and 5 decimal columns, 3 dates, written as CSV. The
stages are those of ``synth release`` run one by one in this process (read → scan →
fit → sample → leakage check), so each gets its own wall time and the peak RSS reached
so far. The leakage gate's exact nearest-neighbour search costs synthetic rows × training
rows distance evaluations; at 1M rows it is run on a random ``--check-rows`` subsample of
each frame (train, holdout, synthetic) and the figure says so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """30 mixed columns; correlated enough that the model has something to learn."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {"record_id": np.char.add("R", np.arange(rows).astype("U8"))}
    base = rng.integers(0, 5, rows)
    levels = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 45, 60]
    for i, k in enumerate(levels):
        noise = rng.integers(0, k, rows)
        tok = np.where(rng.random(rows) < 0.6, (base * (i + 1)) % k, noise)
        cols[f"cat_{i:02d}"] = np.char.add(f"L{i}_", tok.astype("U3"))
    for i in range(8):
        x = np.clip(rng.poisson(5 + 10 * i, rows) + base * (i + 1), 0, None)
        cols[f"int_{i}"] = x.astype("U6")
    for i in range(5):
        x = np.round(rng.normal(50 + 5 * base, 10 + i, rows), 2)
        cols[f"num_{i}"] = x.astype("U10")
    start = np.datetime64("2015-01-01")
    for i in range(3):
        d = start + rng.integers(0, 3000, rows).astype("timedelta64[D]") + base * 30
        cols[f"date_{i}"] = d.astype("U10")
    df = pd.DataFrame(cols)
    assert df.shape[1] == 30
    return df


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--check-rows", type=int, default=20_000)
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--generate-only", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate_only:
        from synth.io.tables import write_table

        write_table(make_table(args.rows), Path(args.generate_only))
        return 0

    import subprocess

    from synth.io.tables import read_table, write_table
    from synth.randomness import Randomness
    from synth.releasing import split_holdout

    work = Path(args.workdir or tempfile.mkdtemp(prefix="limits-"))
    work.mkdir(parents=True, exist_ok=True)
    data_path = work / f"limits-{args.rows}.csv"
    t0 = time.perf_counter()
    if not data_path.exists():  # in a child process, so that its memory is not counted
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--generate-only"]
        subprocess.run([*cmd, str(data_path)], check=True)
    gen_s = time.perf_counter() - t0
    base_rss = rss_mb()

    stages: dict[str, dict[str, float]] = {}

    def stage(name: str, t_start: float) -> None:
        stages[name] = {"seconds": round(time.perf_counter() - t_start, 1), "peak_rss_mb": 0}
        stages[name]["peak_rss_mb"] = round(rss_mb())
        print(json.dumps({name: stages[name]}), flush=True)

    t = time.perf_counter()
    df = read_table(data_path)
    stage("read", t)

    from privacy.scanner import scan

    t = time.perf_counter()
    result = scan(df, name=data_path.stem)
    schema = result.schema
    stage("scan", t)

    from synth.prepare import check_columns
    from synth.synthesizer import Synthesizer

    check_columns(df, schema, str(data_path))
    train, holdout = split_holdout(df, schema, Randomness.secret().rng)
    del df
    t = time.perf_counter()
    model = Synthesizer(schema, epsilon=args.epsilon, engine=args.engine, seed=0)
    model.fit(train, source=str(data_path))
    stage("fit", t)
    t = time.perf_counter()
    synthetic = model.sample(len(train), seed=1)
    stage("sample", t)
    t = time.perf_counter()
    write_table(synthetic, work / "synthetic.csv")
    stage("write synthetic", t)

    from privacy.leakage import check_leakage

    k = args.check_rows
    t = time.perf_counter()
    leak = check_leakage(
        train.sample(min(k, len(train)), random_state=0),
        holdout.sample(min(k, len(holdout)), random_state=0),
        synthetic.sample(min(k, len(synthetic)), random_state=0),
        schema,
    )
    stage(f"leakage check ({k} rows per frame)", t)

    eps, _ = model.ledger.spent()
    summary = {
        "rows": args.rows,
        "columns": 30,
        "csv_mb": round(data_path.stat().st_size / 2**20, 1),
        "generate_s": round(gen_s, 1),
        "rss_after_generate_mb": round(base_rss),
        "engine": model.engine_name,
        "engine_reason": model.engine_reason,
        "epsilon_spent": round(eps, 4),
        "gate_passed_on_subsample": bool(leak.passed),
        "stages": stages,
        "peak_rss_mb": round(rss_mb()),
        "total_stage_s": round(sum(s["seconds"] for s in stages.values()), 1),
        "cpus": os.cpu_count(),
        "load_after": os.getloadavg(),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
