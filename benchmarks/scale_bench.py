"""Rows per second of scan, fit and check on a large table: 1 process vs a 2-worker cluster.

Issue #8. The table comes from the sample generator (``sample_data/generate.py``): blocks
of ``--block`` rows with seeds 1000, 1001, …, written as a folder of Parquet files (one
per block, row groups of 250k rows), ``--rows`` in all; a separate holdout folder (seed
999) for the check. Patient ids get the block number in front so they stay unique.

Each (stage, mode) runs in its own process so peak memory is its own: the driver's peak
RSS, and on the cluster each worker's peak RSS (``resource.getrusage`` on the worker).

    .venv/bin/python benchmarks/scale_bench.py --rows 10000000 --data /tmp/scale \\
        --stages scan,fit,check --json out/bench-scale.json

Stages:

* ``scan``: :func:`privacy.chunked_scan` over every chunk of its own ``--scan-rows`` table
  (same generator and seeds, 25k-row row groups so two workers share it): a row sample
  for the column classes, every note through the redaction analyzer for the free-text
  PII counts. The analyzer (~10³ notes/s per core) bounds this stage, so it runs on a
  smaller table than the others; rows/s is what scales.
* ``fit``: the DP fit's passes (counts, tokens) plus the engine (``--engine``, default
  ``auto``) at ε=1 on the sample schema (``schemas/patients.yaml``); rows/s is over the
  whole fit.
* ``check``: the leakage check of ``--synthetic`` rows drawn from a model fitted on the
  first row group, against all training rows and the holdout folder; rows/s counts
  training rows, ``distance_pairs_per_s`` the exact distances evaluated.

No data value is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from privacy.leakage.gate import BASELINE_ROWS  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker_peak_mb() -> float:
    import resource as r

    return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0


def build(folder: Path, rows: int, block: int, seed: int, row_group: int = 250_000) -> None:
    """Parquet folder of ``rows`` generated rows (skipped when it already holds them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "sample_data"))
    from generate import generate

    marker = folder / "ROWS"
    if marker.exists() and marker.read_text().strip() == str(rows):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    done, k = 0, 0
    while done < rows:
        n = min(block, rows - done)
        df = generate(n, seed + k)
        df["patient_id"] = [f"PT{k:03d}{x[2:]}" for x in df["patient_id"]]
        pq.write_table(
            pa.Table.from_pandas(df, preserve_index=False),
            folder / f"part-{k:04d}.parquet",
            row_group_size=row_group,
        )
        done += n
        k += 1
        print(f"  built {done:,} / {rows:,} rows in {folder}", flush=True)
    marker.write_text(str(rows))


def run_stage(args: argparse.Namespace) -> dict[str, Any]:
    """One stage in this process (called in a subprocess by :func:`main`)."""
    from synth.cluster import connect
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks, total_rows
    from synth.schema.io import load_schema

    train_dir, hold_dir = Path(args.data) / "train", Path(args.data) / "holdout"
    chunks = (
        plan_chunks(Path(args.data) / "scan", SCAN_CHUNK_BYTES)
        if args.stage == "scan"
        else plan_chunks(train_dir)
    )
    rows = total_rows(chunks)
    schema = load_schema(ROOT / "schemas" / "patients.yaml")
    out: dict[str, Any] = {"stage": args.stage, "mode": args.mode, "rows": rows}
    with connect(None if args.mode == "1-process" else "local", workers=2) as runner:
        t0 = time.perf_counter()
        if args.stage == "scan":
            from privacy import scan_source

            scan_source(chunks, runner, name="patients", seed=0)
        elif args.stage == "fit":
            from synth.synthesizer import Synthesizer

            marks: dict[str, float] = {}

            def progress(what: str, done: int, total: int) -> None:
                marks.setdefault(what, time.perf_counter() - t0)

            model = Synthesizer(schema, epsilon=1.0, engine=args.engine, seed=0)
            model.fit(chunks, source="train", progress=progress, runner=runner)
            out["stage_marks_s"] = {k: round(v, 1) for k, v in marks.items()}
            out["engine"] = model.engine_name
        elif args.stage == "check":
            from privacy import check_leakage_chunks
            from synth.synthesizer import Synthesizer

            model = Synthesizer(schema, epsilon=1.0, engine="mst", seed=0).fit(chunks[:1])
            synthetic = model.sample(args.synthetic, seed=1)
            t0 = time.perf_counter()
            res = check_leakage_chunks(
                chunks, plan_chunks(hold_dir), synthetic, schema, runner=runner
            )
            out["passed"] = bool(res.passed)
            out["synthetic_rows"] = args.synthetic
            out["holdout_rows"] = res.n_holdout
            # exact distances evaluated: synthetic × (train + holdout) + baseline × train
            base = min(res.n_holdout, BASELINE_ROWS)
            out["distance_pairs"] = args.synthetic * (res.n_train + res.n_holdout)
            out["distance_pairs"] += base * res.n_train
        seconds = time.perf_counter() - t0
        if "distance_pairs" in out:
            out["distance_pairs_per_s"] = round(out["distance_pairs"] / seconds)
        out["seconds"] = round(seconds, 1)
        out["rows_per_s"] = round(rows / seconds)
        out["driver_peak_mb"] = round(_peak_mb())
        if runner.kind == "dask":
            peaks = runner.client.run(_worker_peak_mb)  # type: ignore[attr-defined]
            out["worker_peak_mb"] = [round(v) for v in peaks.values()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--block", type=int, default=1_000_000)
    ap.add_argument("--holdout-rows", type=int, default=1_000_000)
    ap.add_argument("--synthetic", type=int, default=5_000)
    ap.add_argument(
        "--scan-rows",
        type=int,
        default=250_000,
        help="rows of the scan stage's table (its own folder, 25k-row row groups): the "
        "redaction analyzer reads every note, ~10³ notes/s per core",
    )
    ap.add_argument("--engine", default="auto", help="generator engine of the fit stage")
    ap.add_argument("--data", default="/tmp/steward-scale")
    ap.add_argument("--stages", default="scan,fit,check")
    ap.add_argument("--modes", default="1-process,2-workers")
    ap.add_argument("--json")
    ap.add_argument("--build-only", action="store_true", help="only generate the data")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args)))
        return
    data = Path(args.data)
    build(data / "train", args.rows, args.block, 1000)
    build(data / "holdout", args.holdout_rows, args.block, 999)
    build(data / "scan", args.scan_rows, args.block, 1000, row_group=25_000)
    if args.build_only:
        return
    results = []
    for stage in args.stages.split(","):
        for mode in args.modes.split(","):
            cmd = [sys.executable, __file__, "--stage", stage, "--mode", mode, "--data", str(data)]
            cmd += ["--synthetic", str(args.synthetic), "--engine", args.engine]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{stage} {mode}: failed (exit {proc.returncode})", file=sys.stderr)
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(res)
            workers = res.get("worker_peak_mb")
            print(
                f"{stage:6s} {mode:10s} {res['seconds']:8.1f} s  {res['rows_per_s']:>10,} rows/s"
                f"  driver {res['driver_peak_mb']:,} MB"
                + (f"  workers {workers} MB" if workers else ""),
                flush=True,
            )
    by = {(r["stage"], r["mode"]): r for r in results}
    for stage in args.stages.split(","):
        a, b = by.get((stage, "1-process")), by.get((stage, "2-workers"))
        if a and b:
            print(f"{stage}: 2 workers / 1 process = ×{b['rows_per_s'] / a['rows_per_s']:.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"rows": args.rows, "results": results}, indent=2))


if __name__ == "__main__":
    main()
