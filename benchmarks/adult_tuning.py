"""One fit of our marginal engines on UCI Adult with non-default settings (tuning, issue 4).

The tuning figures in BENCHMARKS.md ("Tuning the marginal engines") come from this script:
the same data, public domain, δ = 1e-9 and metrics as ``adult_bench.py``, one JSON line
per run.

    .venv/bin/python benchmarks/adult_tuning.py --engine aim --epsilon 1 --seed 0 \\
        --options '{"rounds": 50, "max_model_cells": 300000}' --rows-per-bin 2000
    .venv/bin/python benchmarks/adult_tuning.py --engine mst --epsilon 10 --no-target
    .venv/bin/python benchmarks/adult_tuning.py --engine aim --epsilon 10 --subsample 8000

``--rows-per-bin`` overrides ``synth.engines.marginal.ROWS_PER_BIN`` (the grouping of
ordered domains); ``--no-target`` drops the schema's target (``income``); ``--subsample``
fits on a seeded sample of the training rows (scores still against all of them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adult_bench as ab


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="aim")
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--options", default="{}", help="engine options (JSON)")
    ap.add_argument("--rows-per-bin", type=int)
    ap.add_argument("--no-target", action="store_true")
    ap.add_argument("--subsample", type=int)
    args = ap.parse_args()
    if not ab.DATA.is_dir():
        print(f"skipped: {ab.DATA} not present")
        return 0
    import synth.engines.marginal as marginal
    from synth.synthesizer import Synthesizer

    if args.rows_per_bin:
        marginal.ROWS_PER_BIN = args.rows_per_bin
    train, test = ab.load()
    fit_rows = train
    if args.subsample:
        fit_rows = train.sample(args.subsample, random_state=0).reset_index(drop=True)
    schema = ab.schema()
    if args.no_target:
        dataset = schema.dataset.model_copy(update={"target": None})
        schema = schema.model_copy(update={"dataset": dataset})
    options = json.loads(args.options)
    start = time.perf_counter()
    model = Synthesizer(
        schema,
        epsilon=args.epsilon,
        delta=1e-9,
        engine=args.engine,
        seed=args.seed,
        engine_options=dict(options),
    ).fit(fit_rows)
    fit_s = time.perf_counter() - start
    syn = model.sample(len(train), seed=args.seed)
    syn = syn.astype(object).where(syn.notna(), None)
    real_d, syn_d = ab.discretise(train, [train, syn])
    report = model.engine.training_report if model.engine is not None else {}
    row = {
        "engine": args.engine,
        "epsilon": args.epsilon,
        "seed": args.seed,
        "options": options,
        "rows_per_bin": marginal.ROWS_PER_BIN,
        "target": not args.no_target,
        "fit_rows": len(fit_rows),
        "fit_s": round(fit_s, 1),
        "tvd_2way": round(ab.mean_tvd(real_d, syn_d, 2), 4),
        "tvd_3way": round(ab.mean_tvd(real_d, syn_d, 3), 4),
        "auc": round(ab.auc(syn, test), 4),
        "rounds": report.get("rounds"),
        "compressed_cardinalities": report.get("compressed_cardinalities"),
    }
    print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
