"""A differently-shaped Synthea-like trio for a robustness check of the linked release.

    .venv/bin/python benchmarks/linked_heldout_data.py OUT_DIR [--scale 20] [--seed 7]
        [--keep 0.3 1.0] [--drop-codes 1] [--data DIR]

Issue 17 says a second, held-out Synthea set with the same headers will be run through
the same commands. This writes one built from the shipped trio so that nothing tuned to
the shipped file's shape passes unnoticed:

* patients **resampled with replacement** (``--scale`` × as many, seeded), each copy under
  new ids, so some patients appear several times and others not at all;
* each copy keeps a **different share of its encounters** (uniform in ``--keep``, per
  copy): encounters per patient and conditions per patient change shape; a condition
  whose encounter is dropped goes with it;
* the conditions of ``--drop-codes`` codes drawn at random among the ten held by the most
  patients are **removed** (which codes: by rank and seed, not by name), so the top 20
  changes.

Headers, column order and value formats are the shipped ones. The output is not
Synthea's own generator: a check of generality, not a second data source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "datasets" / "synthea"


def build(
    tables: dict[str, pd.DataFrame],
    *,
    scale: float,
    seed: int,
    keep: tuple[float, float],
    drop_codes: int,
) -> dict[str, pd.DataFrame]:
    """The resampled, thinned trio (see the module doc)."""
    rng = np.random.default_rng(seed)
    people, enc, cond = tables["patients"], tables["encounters"], tables["conditions"]
    n = round(scale * len(people))
    pick = rng.integers(0, len(people), size=n)
    enc_by = enc.groupby("PATIENT").indices
    cond_by = cond.groupby("ENCOUNTER").indices
    top = cond.groupby("CODE")["PATIENT"].nunique().nlargest(10).index.to_numpy()
    dropped = set(rng.choice(top, size=min(drop_codes, len(top)), replace=False).tolist())
    out_p, out_e, out_c = [], [], []
    for copy, i in enumerate(pick):
        row = people.iloc[[i]].copy()
        pid = f"{row['Id'].iloc[0]}-h{copy}"
        row["Id"] = pid
        out_p.append(row)
        rows = enc_by.get(people["Id"].iloc[i], np.zeros(0, dtype=np.int64))
        share = rng.uniform(*keep)
        kept = rows[rng.random(len(rows)) < share]
        if len(kept) == 0 and len(rows):
            kept = rows[rng.integers(0, len(rows), size=1)]
        e = enc.iloc[kept].copy()
        new_ids = e["Id"] + f"-h{copy}"
        cids = [cond_by.get(x, np.zeros(0, dtype=np.int64)) for x in e["Id"]]
        e["Id"], e["PATIENT"] = new_ids.to_numpy(), pid
        out_e.append(e)
        for new, idx in zip(new_ids, cids, strict=True):
            if len(idx):
                c = cond.iloc[idx].copy()
                c = c[~c["CODE"].isin(dropped)]
                c["PATIENT"], c["ENCOUNTER"] = pid, new
                out_c.append(c)
    return {
        "patients": pd.concat(out_p, ignore_index=True),
        "encounters": pd.concat(out_e, ignore_index=True),
        "conditions": pd.concat(out_c, ignore_index=True),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=float, nargs=2, default=(0.3, 1.0))
    ap.add_argument("--drop-codes", type=int, default=1)
    args = ap.parse_args()
    if not (args.data / "patients.csv").exists():
        print(f"no Synthea tables at {args.data}", file=sys.stderr)
        return 1
    tables = {
        t: pd.read_csv(args.data / f"{t}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for t in ("patients", "encounters", "conditions")
    }
    out = build(
        tables,
        scale=args.scale,
        seed=args.seed,
        keep=tuple(args.keep),
        drop_codes=args.drop_codes,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in out.items():
        frame.to_csv(args.out / f"{name}.csv", index=False)
    print({t: len(f) for t, f in out.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
