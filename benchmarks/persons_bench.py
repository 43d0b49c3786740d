"""Privacy per person on diabetes130 (issue 17): the scan's draft, no hand edits.

    .venv/bin/python benchmarks/persons_bench.py [--fits 2] [--epsilon 1]

The default path: chunked scan of ``diabetic_data.csv`` → draft (privacy unit, bound
``auto``, static columns as the scan proposes) → 80/20 split by person (as ``synth
release`` splits) → fit at ε on the training persons → sample as many rows as the model's
DP estimate. Beside it, the same draft with ``max_rows_per_unit: 1`` (one random row per
person: the release issue 17 replaces) and without a person column (the guarantee per
row, i.e. per encounter: what the draft gave before issue 17). Per fit:

* ``rows_per_person_tvd``: TVD between the synthetic persons' row counts and the real
  training persons' counts truncated at the bound k (target ≤ 0.05);
* ``static_constant``: share of synthetic persons with several rows whose static columns
  are equal across their rows (target 100 %);
* ``tvd_2way``: mean 2-way TVD against the real training *encounter* table (every row),
  numbers in the report's bins (``default_path_bench.mean_tvd_2way``); the target is
  ≤ 1.5 × the one-row-per-person release's.

The metrics are checked against broken outputs in the same run: the synthetic rows with
the person column shuffled (static columns no longer constant) and with every row its own
person (rows per person all 1). Figures and the command: BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import default_path_bench as dpb

OUT = Path(__file__).resolve().parent.parent / "out"


def rows_per_person_tvd(real_units: pd.Series, syn_units: pd.Series, k: int) -> float:
    """TVD of rows per person: real counts truncated at ``k`` against the synthetic."""
    r = np.minimum(real_units.value_counts().to_numpy(), k)
    s = np.minimum(syn_units.value_counts().to_numpy(), k)
    p = np.bincount(r, minlength=k + 1)[1:] / len(r)
    q = np.bincount(s, minlength=k + 1)[1:] / len(s)
    return 0.5 * float(np.abs(p - q).sum())


def static_constant(syn: pd.DataFrame, unit: str, static: list[str]) -> float | None:
    """Share of persons with several rows whose static columns hold one value each."""
    if not static:
        return None
    groups = syn.groupby(unit)
    multi = groups.size() > 1
    if not multi.any():
        return None
    ok = (groups[static].nunique(dropna=False) <= 1).all(axis=1)
    return float(ok[multi].mean())


def measure(
    case: str,
    syn: pd.DataFrame,
    train: pd.DataFrame,
    unit: str,
    k: int,
    static: list[str],
    cols: list[str],
    numeric: list[str],
) -> dict:
    real = dpb._clean(train[cols], "diabetes130")
    return {
        "case": case,
        "rows": len(syn),
        "rows_per_person_tvd": round(rows_per_person_tvd(train[unit], syn[unit], k), 4),
        "static_constant": static_constant(syn, unit, static),
        "tvd_2way": round(
            dpb.mean_tvd_2way(real, dpb._clean(syn[cols], "diabetes130"), numeric), 4
        ),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fits", type=int, default=2)
    ap.add_argument("--epsilon", type=float, default=1.0)
    args = ap.parse_args()
    from synth.io.tables import read_table
    from synth.releasing import split_holdout
    from synth.synthesizer import Synthesizer

    raw = read_table(dpb.data_path("diabetes130"))
    start = time.perf_counter()
    draft = dpb.draft_schema("diabetes130")
    scan_s = time.perf_counter() - start
    unit = draft.dataset.privacy_unit
    static = [c.name for c in draft.columns if c.static]
    print(
        json.dumps(
            {
                "privacy_unit": unit,
                "max_rows_per_unit": draft.dataset.max_rows_per_unit,
                "static": static,
                "scan_s": round(scan_s, 1),
            }
        ),
        flush=True,
    )
    if unit is None:
        print("the draft has no privacy unit: nothing to measure per person", file=sys.stderr)
        return 1
    train, _holdout = split_holdout(raw, draft, np.random.default_rng(0))
    cols = [c.name for c in draft.modelled]
    numeric = [c.name for c in draft.modelled if c.type == "numerical"]
    one_row = draft.model_copy(
        update={"dataset": draft.dataset.model_copy(update={"max_rows_per_unit": 1})}
    )
    per_row = draft.model_copy(
        update={
            "dataset": draft.dataset.model_copy(update={"privacy_unit": None}),
            "columns": [c.model_copy(update={"static": False}) for c in draft.columns],
        }
    )
    variants = (
        ("draft (auto bound)", draft),
        ("one row per person", one_row),
        ("per row (weaker: a patient's encounters protected one by one)", per_row),
    )
    rows: list[dict] = []
    for fit in range(args.fits):
        for label, schema in variants:
            t0 = time.perf_counter()
            model = Synthesizer(schema, epsilon=args.epsilon).fit(train)
            fit_s = time.perf_counter() - t0
            syn = model.sample(seed=fit)
            k = model.persons.k if model.persons is not None else 1
            row = measure(label, syn, train, unit, k, static, cols, numeric)
            row.update(
                fit=fit,
                k=k,
                fit_s=round(fit_s, 1),
                engine=model.engine_name,
                epsilon_spent=round(model.ledger.spent()[0], 4),
                static_fallback_share=round(model.static_fallback_share, 4),
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
            if fit == 0 and label.startswith("draft"):
                rng = np.random.default_rng(1)
                shuffled = syn.assign(**{unit: syn[unit].to_numpy()[rng.permutation(len(syn))]})
                own = syn.assign(**{unit: [f"row{i}" for i in range(len(syn))]})
                for case, broken in (
                    ("broken: person column shuffled", shuffled),
                    ("broken: every row its own person", own),
                ):
                    b = measure(case, broken, train, unit, k, static, cols, numeric)
                    rows.append(b)
                    print(json.dumps(b), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "persons_bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
