"""The steward's loop on UCI Adult (issue 20): conditional sampling, rebalancing, drift.

    .venv/bin/python benchmarks/loop_bench.py --json out/bench-loop.json [--engine aim]

One DP fit of Adult train (ε = 1, δ = 1e-9, public domain from the census coding, fresh
OS entropy), then:

* **conditional sampling** (``Synthesizer.sample_where``): for each condition, the
  model's probability of it (exact), the share of sampled rows that hold it (target 100 %)
  and, per other column, the TVD between the sampled rows' marginal and the model's
  conditional at the model's resolution (its compressed tokens), against two references:
  the exact conditional of the junction tree, and 1,000,000 unconditional model rows
  filtered by the condition (independent of the evidence code). Target ≤ 0.05.
* **rebalancing**: requested against obtained shares (target ± 0.01).
* **drift** (``synth.drift.check_drift``): Adult train's model against Adult test (same
  population: target "no drift") and against a copy of Adult train with every age + 10
  years (target: names ``age``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import adult_bench as ab  # noqa: E402

CONDITIONS = [
    "sex=Female,age>=60",
    "race=Amer-Indian-Eskimo",
    "education=Doctorate|Prof-school",
    "age=30..40,hours-per-week>=50",
]
REBALANCE = ["income=>50K:0.5", "race", "education=Doctorate:0.1,Masters:10%"]
ROWS = 20_000
REFERENCE = 1_000_000


def _compressed(model, frame: pd.DataFrame) -> np.ndarray:
    eng = model.engine
    return np.column_stack(
        [eng.mappings[i][c.encode(frame[c.name])] for i, c in enumerate(model.codecs)]
    )


def _hist(x: np.ndarray, k: int) -> np.ndarray:
    h = np.bincount(x, minlength=k).astype(float)
    return h / max(h.sum(), 1.0)


def conditional(model, rng_seed: int) -> list[dict]:
    from synth.conditional import ConditionalSampler
    from synth.conditions import parse_where

    eng = model.engine
    unconditional = model.sample(REFERENCE, seed=rng_seed)
    ref_tokens = _compressed(model, unconditional)
    out = []
    for text in CONDITIONS:
        t0 = time.perf_counter()
        frame, rep = model.sample_where(ROWS, where=text, seed=rng_seed)
        took = time.perf_counter() - t0
        sampler = ConditionalSampler(model, np.random.default_rng(rng_seed))
        bounds = sampler.bind(parse_where([text]))
        holds = np.ones(len(frame), dtype=bool)
        filt = np.ones(len(unconditional), dtype=bool)
        for b in bounds:
            name = model.codecs[b.index].name
            holds &= b.holds(frame[name])
            filt &= b.holds(unconditional[name])
        exact = sampler.backend.marginals(sampler.weights(bounds))
        got = _compressed(model, frame)
        conditioned = {b.index for b in bounds}
        per_col = []
        for i, c in enumerate(model.codecs):
            if i in conditioned:
                continue
            k = eng.compressed_cards[i]
            ex = np.bincount(eng.mappings[i], weights=exact[i], minlength=k)
            per_col.append(
                {
                    "column": c.name,
                    "tvd_exact": 0.5 * float(np.abs(_hist(got[:, i], k) - ex).sum()),
                    "tvd_filtered": 0.5
                    * float(np.abs(_hist(got[:, i], k) - _hist(ref_tokens[filt, i], k)).sum()),
                }
            )
        out.append(
            {
                "where": text,
                "model_share": rep["model_share_of_conditions"],
                "filtered_reference_rows": int(filt.sum()),
                "rows": len(frame),
                "share_holding": float(holds.mean()),
                "max_tvd_exact": max(r["tvd_exact"] for r in per_col),
                "max_tvd_filtered": max(r["tvd_filtered"] for r in per_col),
                "seconds": took,
                "method": rep["method"],
                "columns": per_col,
            }
        )
        print(
            f"  where {text}: model share {rep['model_share_of_conditions']:.2%}, "
            f"holding {holds.mean():.1%}, max TVD exact {out[-1]['max_tvd_exact']:.4f} / "
            f"filtered {out[-1]['max_tvd_filtered']:.4f} ({took:.1f} s)",
            flush=True,
        )
    return out


def rebalance(model, rng_seed: int) -> list[dict]:
    out = []
    for text in REBALANCE:
        frame, rep = model.sample_where(ROWS, rebalance=text, seed=rng_seed)
        col = rep["rebalance"]["column"]
        rows = []
        for v in rep["rebalance"]["values"]:
            share = float((frame[col].astype(object) == v["value"]).mean())
            rows.append({**v, "measured_share": share, "error": share - v["requested"]})
        worst = max(abs(r["error"]) for r in rows)
        out.append({"rebalance": text, "max_abs_error": worst, "values": rows})
        print(f"  rebalance {text}: max |share − requested| {worst:.4f}", flush=True)
    return out


def drift(model, train: pd.DataFrame, test: pd.DataFrame) -> dict:
    from synth.drift import check_drift

    older = train.copy()
    older["age"] = (pd.to_numeric(older["age"]) + 10).astype(str)
    res = {}
    for name, frame in (("train_vs_test", test), ("train_vs_age_plus_10", older)):
        r = check_drift(model, frame, source=name)
        res[name] = {
            "verdict": r["verdict"],
            "drifted_columns": r["drifted_columns"],
            "drifted_pairs": r["drifted_pairs"],
            "top_columns": r["columns"][:4],
            "top_pairs": r["pairs"][:3],
        }
        print(
            f"  drift {name}: {r['verdict']}; columns {r['drifted_columns']}; "
            f"top column {r['columns'][0]['column']} TVD {r['columns'][0]['tvd']:.3f} "
            f"(limit {r['columns'][0]['limit']:.3f}); top pair "
            f"{r['pairs'][0]['columns'] if r['pairs'] else '-'} TVD "
            f"{r['pairs'][0]['tvd'] if r['pairs'] else 0:.3f}",
            flush=True,
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="aim", choices=["aim", "mst"])
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (the fit is fresh)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not ab.DATA.exists():
        sys.exit(f"Adult not found at {ab.DATA}")
    from synth.synthesizer import Synthesizer

    start = dt.datetime.now(dt.UTC)
    train, test = ab.load()
    t0 = time.perf_counter()
    model = Synthesizer(ab.schema(), epsilon=args.epsilon, engine=args.engine).fit(train)
    fit_s = time.perf_counter() - t0
    print(f"fit {args.engine} ε={args.epsilon}: {fit_s:.1f} s", flush=True)
    result = {
        "command": " ".join(["benchmarks/loop_bench.py", *sys.argv[1:]]),
        "started_utc": start.isoformat(timespec="seconds"),
        "engine": args.engine,
        "epsilon": args.epsilon,
        "fit_seconds": fit_s,
        "conditional": conditional(model, args.seed),
        "rebalance": rebalance(model, args.seed),
        "drift": drift(model, train, test),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
