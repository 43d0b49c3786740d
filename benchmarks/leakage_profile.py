"""Profile the leakage gate on the diabetes130 default-path shape (issue 16).

Splits the real table as ``synth release`` does (the scan's draft schema, per-person
holdout coins), takes a product-of-marginals sample of the training rows as the synthetic
table (plus 1% bootstrap copies, so the exact-copy and tie paths run), and runs
``check_leakage(..., seed=0)``. Writes the seeded gate JSON to ``--json`` (the identity
check before/after a change) and prints wall/CPU seconds; ``--profile`` runs cProfile.

    .venv/bin/python benchmarks/leakage_profile.py --json /tmp/gate.json [--profile]
    .venv/bin/python benchmarks/leakage_profile.py --small --json /tmp/gate-small.json
    (``--block-rows 128``: many blocks on the small table, the block-to-block paths)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import default_path_bench as dpb

from privacy.leakage import check_leakage
from synth.io.tables import read_table
from synth.releasing import split_holdout


def shape(small: bool):
    schema = dpb.draft_schema("diabetes130")
    data = read_table(dpb.data_path("diabetes130"))
    if small:
        data = data.iloc[:3000].reset_index(drop=True)
    train, holdout = split_holdout(data, schema, np.random.default_rng(7))
    rng = np.random.default_rng(11)
    n_syn = 2100 if small else 70_000
    cols = [c.name for c in schema.modelled]
    syn = train[cols].iloc[rng.integers(0, len(train), n_syn)].reset_index(drop=True)
    for c in cols:  # product of marginals: every column drawn on its own
        syn[c] = train[c].to_numpy()[rng.integers(0, len(train), n_syn)]
    copies = rng.choice(n_syn, n_syn // 100, replace=False)
    syn.loc[copies, cols] = train[cols].iloc[rng.integers(0, len(train), len(copies))].to_numpy()
    return train, holdout, syn, schema


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--block-rows", type=int, default=4096, help="check_leakage's block_rows")
    args = ap.parse_args()
    train, holdout, syn, schema = shape(args.small)
    print(f"train {len(train)} holdout {len(holdout)} synthetic {len(syn)}", flush=True)
    prof = cProfile.Profile() if args.profile else None
    w0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    res = check_leakage(train, holdout, syn, schema, seed=0, block_rows=args.block_rows)
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"check_leakage: wall {wall:.1f} s, cpu {cpu:.1f} s, passed={res.passed}")
    if args.json:
        args.json.write_text(json.dumps(res.to_dict(), sort_keys=True, default=str))
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
