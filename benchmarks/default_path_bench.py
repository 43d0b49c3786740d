"""The default path: scan → the scan's draft schema, no hand edits → fit → sample, as a
steward runs it on a table nobody prepared (UCI Adult, diabetes130).

    # fit on the raw table with the draft schema, write the synthetic rows
    .venv/bin/python benchmarks/default_path_bench.py fit --data adult --epsilon 1 --out out/a.csv
    # an ablation: the same fit with a module constant changed (repeatable)
    .venv/bin/python benchmarks/default_path_bench.py fit --data adult --epsilon 1 --delta 1e-9 \
        --set synth.private_domains.PREPROCESSING_SHARE=0.2 --out out/a-share2.csv
    # score a synthetic file against the real rows
    .venv/bin/python benchmarks/default_path_bench.py score --data adult out/a.csv
    # the whole `synth release` (no schema) as a process, with its stage timings
    .venv/bin/python benchmarks/default_path_bench.py release --data diabetes130 --epsilon 1

``fit`` reads the raw file as ``synth`` reads any CSV (``adult_train.csv`` with its ``?``
and leading spaces; ``diabetic_data.csv``, decompressed once into ``out/``), drafts the
schema with the scan ``synth release`` runs (``scan_source``) and fits
``Synthesizer(draft, epsilon=E)`` with every default (engine ``auto``, δ from the draft);
the synthetic table has the model's default number of rows. ``score`` reports the mean
2-way TVD over all column pairs, numbers in the release
report's point-aware bins (``synth.report.binning``: a value holding ≥ 1/10 of the real
rows is a bin of its own, the rest is cut at deciles), the zero shares of Adult's
capital-gain/-loss, TSTR AUC on Adult's test split, and, per numeric column of the draft,
the largest share error over values holding ≥ 1 % of real rows and the share of output
rows whose value never occurs in the real column; per categorical column, the share of
output rows whose category never occurs in the real column (where not 0).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adult_bench as ab

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STEWARD_SHARED", ROOT.parent / "shared")) / "datasets"
OUT = ROOT / "out"
SYNTH = str(Path(sys.executable).parent / "synth")


def data_path(name: str) -> Path:
    """The raw table a steward would hand to ``synth`` (decompressed once when shipped gz)."""
    if name == "adult":
        return ab.DATA / "adult_train.csv"
    if name == "diabetes130":
        plain = OUT / "diabetic_data.csv"
        if not plain.exists():
            OUT.mkdir(exist_ok=True)
            with gzip.open(SHARED / "diabetes130" / "diabetic_data.csv.gz", "rb") as src:
                tmp = plain.with_suffix(f".{os.getpid()}.tmp")  # concurrent runs
                with open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                tmp.rename(plain)
        return plain
    raise SystemExit(f"unknown data set {name!r} (adult, diabetes130)")


def draft_schema(name: str):
    """The draft ``synth release``/``synth scan`` write for the file (the chunked scan)."""
    from privacy.chunked_scan import scan_source
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks

    return scan_source(plan_chunks(data_path(name), SCAN_CHUNK_BYTES), name=name).schema


def fit(name: str, epsilon: float, out: Path, seed: int = 0, delta: float | None = None) -> dict:
    from synth.io.tables import read_table, write_table
    from synth.synthesizer import Synthesizer

    raw = read_table(data_path(name))
    start = time.perf_counter()
    draft = draft_schema(name)
    scanned = time.perf_counter()
    # δ: the draft's own (the schema default) unless given, as `synth fit --delta` would
    model = Synthesizer(draft, epsilon=epsilon, delta=delta, seed=seed).fit(raw)
    fitted = time.perf_counter()
    syn = model.sample(seed=seed)
    write_table(syn, out, model.output_decimals())  # as `synth sample` writes it
    return {
        "data": name,
        "epsilon": epsilon,
        "engine": model.engine_name,
        "delta": model.delta,
        "scan_s": round(scanned - start, 1),
        "fit_s": round(fitted - scanned, 1),
        "synthetic_rows": len(syn),
        "numeric": [c.name for c in draft.modelled if c.type == "numerical"],
        "modelled": [c.name for c in draft.modelled],
    }


def _clean(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Adult as ``adult_bench.load`` cleans it (strip, ``?`` → missing); others as read."""
    out = df.astype(object).copy()
    if name != "adult":
        return out.where(out.notna(), None)
    for c in out.columns:
        s = out[c].where(out[c].notna(), None)
        s = s.map(lambda v: v.strip() if isinstance(v, str) else v)
        out[c] = s.replace("?", np.nan)
    if "income" in out:
        out["income"] = out["income"].map(lambda v: v.rstrip(".") if isinstance(v, str) else v)
    return out


def _codes(real: pd.DataFrame, syn: pd.DataFrame, numeric: list[str]):
    from synth.io.numbers import to_numbers
    from synth.report.binning import numeric_bins

    codes_r, codes_s = pd.DataFrame(index=real.index), pd.DataFrame(index=syn.index)
    for c in real.columns:
        if c in numeric:
            xr = to_numbers(real[c]).to_numpy(float)
            xs = to_numbers(syn[c]).to_numpy(float)
            bins = numeric_bins(xr, 10)
            codes_r[c], codes_s[c] = bins.codes(xr), bins.codes(xs)
        else:
            codes_r[c] = real[c].astype(object).where(real[c].notna(), "NA").astype(str)
            codes_s[c] = syn[c].astype(object).where(syn[c].notna(), "NA").astype(str)
    return codes_r, codes_s


def mean_tvd_2way(real: pd.DataFrame, syn: pd.DataFrame, numeric: list[str]) -> float:
    codes_r, codes_s = _codes(real, syn, numeric)
    fr_cols, fs_cols = [], []
    for c in codes_r.columns:
        codes, uniques = pd.factorize(codes_r[c])
        index = {u: k for k, u in enumerate(uniques)}
        fr_cols.append(codes)
        fs_cols.append(codes_s[c].map(index).fillna(-1).to_numpy(int))  # -1: unseen in real
    fr, fs = np.column_stack(fr_cols), np.column_stack(fs_cols)
    vals = []
    for i, j in itertools.combinations(range(fr.shape[1]), 2):
        ki = max(fr[:, i].max(), 0) + 2  # one more for synthetic values unseen in real
        kj = max(fr[:, j].max(), 0) + 2
        p = np.bincount((fr[:, i] + 1) * kj + fr[:, j] + 1, minlength=ki * kj) / len(fr)
        q = np.bincount((fs[:, i] + 1) * kj + fs[:, j] + 1, minlength=ki * kj) / len(fs)
        vals.append(0.5 * float(np.abs(p - q).sum()))
    return float(np.mean(vals))


def heavy_values(real: pd.DataFrame, syn: pd.DataFrame, numeric: list[str]) -> dict:
    """Per numeric column: worst share error over values holding ≥ 1 % of real rows, and the
    share of synthetic rows whose value never occurs in the real column."""
    from synth.io.numbers import to_numbers

    out = {}
    for c in numeric:
        xr, xs = to_numbers(real[c]), to_numbers(syn[c])
        pr = xr.value_counts(normalize=True, dropna=False)
        ps = xs.value_counts(normalize=True, dropna=False)
        heavy = pr[pr >= 0.01]
        err = (heavy - ps.reindex(heavy.index).fillna(0.0)).abs()
        unseen = ~xs.isin(set(xr.dropna())) & xs.notna()
        out[c] = {
            "heavy_values": len(heavy),
            "worst_share_error": round(float(err.max()) if len(err) else 0.0, 4),
            "unseen_value_share": round(float(unseen.mean()), 4),
        }
    return out


def unseen_categories(real: pd.DataFrame, syn: pd.DataFrame, numeric: list[str]) -> dict:
    """Per categorical column where it is not 0: the share of output rows whose value never
    occurs in the real column (a public candidate list's names that no row holds, kept by
    noise and emitted)."""
    out = {}
    for c in real.columns:
        if c in numeric:
            continue
        seen = set(real[c].dropna().astype(str))
        s = syn[c].dropna().astype(str)
        share = float((~s.isin(seen)).sum() / max(1, len(syn)))
        if share > 0:
            out[c] = round(share, 4)
    return out


def score(name: str, path: Path, numeric: list[str] | None = None) -> dict:
    from synth.io.tables import read_table

    raw = read_table(data_path(name))
    draft = draft_schema(name)
    if numeric is None:  # the draft's numeric columns
        numeric = [c.name for c in draft.modelled if c.type == "numerical"]
    syn = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    real = _clean(raw, name)
    syn = _clean(syn, name)
    # the modelled columns (identifiers come back as fresh surrogates, text is not released)
    cols = [c.name for c in draft.modelled if c.name in syn.columns]
    real, syn = real[cols], syn[cols]
    result = {
        "file": str(path),
        "rows": len(syn),
        "tvd_2way": round(mean_tvd_2way(real, syn, numeric), 4),
        "heavy_values": heavy_values(real, syn, numeric),
        "unseen_categories": unseen_categories(real, syn, numeric),
    }
    if name == "adult":
        _train, test = ab.load()
        from synth.io.numbers import to_numbers

        result["zero_share"] = {
            c: {
                "real": round(float((to_numbers(real[c]) == 0).mean()), 3),
                "synthetic": round(float((to_numbers(syn[c]) == 0).mean()), 3),
            }
            for c in ("capital-gain", "capital-loss")
        }
        result["auc"] = round(ab.auc(syn, test), 4)
    return result


def release(name: str, epsilon: float, out: Path) -> dict:
    """``synth release DATA --epsilon E`` with no schema, as a process; its release.json."""
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    done = subprocess.run(
        [SYNTH, "release", str(data_path(name)), "--out", str(out), "--epsilon", str(epsilon)],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    info = json.loads((out / "release.json").read_text()) if (out / "release.json").exists() else {}
    return {
        "data": name,
        "epsilon": epsilon,
        "exit": done.returncode,
        "wall_s": round(wall, 1),
        "stages": info.get("stages"),
        "blocked_by": info.get("blocked_by"),
        "error": done.stderr.strip().splitlines()[-1] if done.returncode not in (0, 3) else None,
    }


def override(item: str) -> str:
    """Set ``MODULE.NAME=VALUE`` (a number, or ``MODULE.DICT[KEY]=VALUE`` for an engine's
    ``DEFAULTS``) for an ablation; the module's own constant is replaced before the fit."""
    import importlib

    target, _, text = item.partition("=")
    value = int(text) if text.lstrip("+-").isdigit() else float(text)
    key = None
    if target.endswith("]"):
        target, _, key = target[:-1].partition("[")
    module, _, name = target.rpartition(".")
    mod = importlib.import_module(module)
    if not hasattr(mod, name):
        raise SystemExit(f"--set: {module} has no {name}")
    if key is None:
        setattr(mod, name, value)
    else:
        getattr(mod, name)[key] = value
    return item


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--data", default="adult")
    f.add_argument("--epsilon", type=float, default=1.0)
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--seed", type=int, default=0, help="sampling seed (the fit is always fresh)")
    f.add_argument(
        "--delta", type=float, help="δ as `synth fit --delta` sets it (default: the draft's)"
    )
    f.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODULE.NAME=VALUE",
        help="ablation: set a module constant before the fit, e.g. "
        "synth.private_domains.PREPROCESSING_SHARE=0.2 (repeatable; the result names it)",
    )
    s = sub.add_parser("score")
    s.add_argument("--data", default="adult")
    s.add_argument("file", type=Path)
    r = sub.add_parser("release")
    r.add_argument("--data", default="diabetes130")
    r.add_argument("--epsilon", type=float, default=1.0)
    r.add_argument("--out", type=Path, default=OUT / "default-path-release")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not present")
        return 0
    if args.cmd == "fit":
        overrides = [override(item) for item in args.set]
        result = fit(args.data, args.epsilon, args.out, args.seed, args.delta)
        if overrides:
            result["set"] = overrides
    elif args.cmd == "score":
        result = score(args.data, args.file)
    else:
        result = release(args.data, args.epsilon, args.out)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
