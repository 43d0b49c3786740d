"""False blocks of genuine linked releases: the gate on N fresh fits of the test trio.

    nice -n 10 .venv/bin/python benchmarks/linked_gate_bench.py --runs 60 \
        --save-dir /tmp/gate/linked --json /tmp/gate/linked-before.jsonl
    # the same fits gated again by the working tree's gate (no refit)
    nice -n 10 .venv/bin/python benchmarks/linked_gate_bench.py --regate \
        --save-dir /tmp/gate/linked --json /tmp/gate/linked-after.jsonl

Each run is what ``synth release-linked --epsilon 4`` does on the trio of
``tests/integration/test_release_linked.py::folder`` (1,500 persons, visits and labs; data
seed = run number, so every run is a new table): scan, find the links, split the persons
at random (fresh OS entropy), fit the linked model at ε = 4, sample, and gate each table's
view and the joined-persons view (:mod:`synth.linked_gate`) with fresh randomness. The
three views of every gate and their schemas are saved under ``--save-dir/run-<i>/`` so a
changed gate can be measured on the very same fits (``--regate``).

Prints one JSON line per run: per view the verdict, the metrics that block and every
near-copy test (view, factor, share, expected, excess, lower bound, margin, p-value); no
cell value. A summary at the end counts blocks per view and per test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

#: the gated views of a linked release: each table's and the joined persons'
JOINED_NAME = "joined-persons"


def fit_and_save(i: int, save: Path, epsilon: float, persons: int) -> dict[str, Path]:
    """One fresh linked fit of the test trio (data seed ``i``); its gated views saved."""
    from test_release_linked import folder

    from privacy import scan
    from synth.io.tables import read_table
    from synth.linked import LinkedSynthesizer
    from synth.linked_gate import joined_schema, joined_view
    from synth.linked_release import linked_schemas, split_persons, table_paths
    from synth.randomness import Randomness
    from synth.schema.io import save_schema

    run_dir = save / f"run-{i:03d}"
    run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        data = folder(Path(t) / "in", persons=persons, seed=i)
        tables = {name: read_table(p) for name, p in table_paths(data).items()}
    drafts = {name: scan(df, name=name).schema for name, df in tables.items()}
    schemas, root, _key, _dropped = linked_schemas(tables, drafts)
    model = LinkedSynthesizer(schemas, epsilon=epsilon, seed=0)
    fraction = schemas[root].dataset.holdout_fraction
    train, holdout = split_persons(tables, model, fraction, Randomness.create(None).rng)
    model.fit(train)
    synthetic = model.sample(seed=0)
    views: dict[str, Path] = {}
    for name in tables:
        parts = (
            model.view(name, train, raw=True),
            model.view(name, holdout, raw=True),
            model.view(name, synthetic, raw=False),
        )
        _save(run_dir / name, parts)
        save_schema(model.view_schema(name), run_dir / name / "schema.yaml")
        views[name] = run_dir / name
    parts = (joined_view(model, train), joined_view(model, holdout), joined_view(model, synthetic))
    _save(run_dir / JOINED_NAME, parts)
    save_schema(joined_schema(model), run_dir / JOINED_NAME / "schema.yaml")
    views[JOINED_NAME] = run_dir / JOINED_NAME
    (run_dir / "meta.json").write_text(json.dumps({"epsilon": epsilon, "persons": persons}))
    return views


def _save(d: Path, parts: tuple[pd.DataFrame, ...]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, df in zip(("train", "holdout", "synthetic"), parts, strict=True):
        df.to_parquet(d / f"{name}.parquet", index=False)


def gate_saved(d: Path) -> dict:
    """The working tree's gate on one saved view: verdict, blocking metrics, near-copy tests
    (figures only)."""
    from privacy import check_leakage
    from synth.schema.io import load_schema

    parts = [pd.read_parquet(d / f"{n}.parquet") for n in ("train", "holdout", "synthetic")]
    res = check_leakage(*parts, load_schema(d / "schema.yaml"))
    nc = res.near_copies or {}
    return {
        "passed": bool(res.passed),
        "blocked_by": [m.name for m in res.metrics if m.verdict == "block"],
        "persons": {"train": res.n_train, "holdout": res.n_holdout, "synthetic": res.n_synthetic},
        "tests": nc.get("factors", []),
        "power": nc.get("power"),
    }


def summary(rows: list[dict]) -> str:
    views: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    for r in rows:
        for v, g in r["views"].items():
            if g["passed"]:
                continue
            views[v] += 1
            for t in g["tests"]:
                if t["p_value"] <= 0.025 / len(g["tests"]) and t["excess_lower"] > t["margin"]:
                    tests[f"{v}: {t['view']} x{t['factor']:g}"] += 1
    lines = [f"runs: {len(rows)}, blocked: {sum(1 for r in rows if not r['passed'])}"]
    lines += [f"  view {v}: {n}" for v, n in sorted(views.items())]
    lines += [f"  near-copy test {t}: {n}" for t, n in sorted(tests.items())]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="fits (60); with --regate: a range")
    ap.add_argument("--start", type=int, default=0, help="first data seed")
    ap.add_argument("--epsilon", type=float, default=4.0)
    ap.add_argument("--persons", type=int, default=1500)
    ap.add_argument("--save-dir", type=Path, default=Path("/tmp/gate/linked"))
    ap.add_argument("--regate", action="store_true", help="gate the saved runs again, no fit")
    ap.add_argument("--views", default="", help="comma-separated views to gate (default all)")
    ap.add_argument("--json", type=Path, default=None, help="append one JSON line per run")
    a = ap.parse_args()
    only = set(a.views.split(",")) if a.views else None
    if a.regate:
        runs = sorted(p for p in a.save_dir.glob("run-*") if (p / "meta.json").exists())
        if a.runs is not None:
            wanted = range(a.start, a.start + a.runs)
            runs = [p for p in runs if int(p.name.split("-")[1]) in wanted]
    else:
        runs = [a.save_dir / f"run-{i:03d}" for i in range(a.start, a.start + (a.runs or 60))]
    rows = []
    for run_dir in runs:
        i = int(run_dir.name.split("-")[1])
        start = time.perf_counter()
        if a.regate:
            views = {p.name: p for p in sorted(run_dir.iterdir()) if p.is_dir()}
        else:
            views = fit_and_save(i, a.save_dir, a.epsilon, a.persons)
        fit_s = time.perf_counter() - start
        row = {"run": i, "views": {}}
        for v, d in views.items():
            if only is None or v in only:
                row["views"][v] = gate_saved(d)
        row["passed"] = all(g["passed"] for g in row["views"].values())
        row["fit_s"] = round(fit_s, 1)
        row["total_s"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        line = json.dumps(row)
        print(line, flush=True)
        if a.json:
            a.json.parent.mkdir(parents=True, exist_ok=True)
            with a.json.open("a") as f:
                f.write(line + "\n")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
