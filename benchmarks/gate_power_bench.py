"""Gate power: what the leakage gate blocks and what it passes, on the default path.

    .venv/bin/python benchmarks/gate_power_bench.py --data adult --json out/gate-power-adult.json
    .venv/bin/python benchmarks/gate_power_bench.py --data diabetes130 \
        --json out/gate-power-diabetes130.json
    # then Anonymeter (peers' venv, /tmp/peers) on the sets the first run saved
    .venv/bin/python benchmarks/gate_power_bench.py --data adult --anonymeter-only \
        --anonymeter genuine-e1-f0-s0,bootstrap,one-cell-10%,jitter-10%,resampled-marginals

The real table is split at random 80/20 (seed 0) into training and holdout rows: Adult
= ``adult_train.csv`` + ``adult_test.csv`` as ``synth`` reads them (39,073 / 9,769, the
issue's shape); diabetes130 = ``diabetic_data.csv`` (81,413 / 20,353). The schema is the
scan's draft of the training rows' file (``scan_source``, no hand edits): the default path.
The gate is :func:`privacy.leakage.check_leakage` with that draft and default thresholds;
every synthetic set has as many rows as the holdout (``--synthetic-rows N``: N rows, e.g.
as many as the training rows, which is what ``synth release`` samples by default).

Sets that must **pass**: genuine output of the default engine at ε = 1 and 10, three
independent fits (fresh randomness) × two sample seeds; unseen real rows (the holdout cut
in two: one half is the gate's holdout, the other the "synthetic" table); independent
per-column draws with numbers redrawn inside decile bins ("binned marginals").

Sets that must **block**: copies of training rows mixed into the first ε = 1 output —
exact copies at 0.5 % and 1 %, one categorical cell changed at 5 % and 10 %, every
number jittered by ±1 % at 5 % and 10 %; a bootstrap of the training rows; the bootstrap
with one column renamed or dropped (an error, exit 2 from ``synth check``).
"Resampled marginals" (each column drawn from the training rows independently, exact
values kept) is reported beside: it copies no row but copies unique values.

Prints one JSON line per gate run, a Markdown table at the end; ``--json`` keeps all.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import default_path_bench as dpb

HERE = Path(__file__).resolve().parent
PEERS_PYTHON = Path(os.environ.get("PEERS_PYTHON", "/tmp/peers/bin/python"))
SECRET = {"adult": "income", "diabetes130": "readmitted"}


def real_split(name: str, unit: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """80/20 at random (seed 0): rows, or with ``unit`` (the draft's privacy unit) persons,
    every row of a person on one side, which is what the gate's person-level null assumes
    (a row split puts a patient's encounters on both sides)."""
    from synth.io.tables import read_table

    if name == "adult":
        parts = [read_table(dpb.ab.DATA / f) for f in ("adult_train.csv", "adult_test.csv")]
        parts[1]["income"] = parts[1]["income"].str.rstrip(".")
        full = pd.concat(parts, ignore_index=True)
    else:
        full = read_table(dpb.data_path(name))
    if unit is not None:
        codes, uniq = pd.factorize(full[unit])
        order = np.random.default_rng(0).permutation(len(uniq))
        out = np.isin(codes, order[: round(0.2 * len(uniq))])
        return (
            full[~out].reset_index(drop=True),
            full[out].reset_index(drop=True),
        )
    order = np.random.default_rng(0).permutation(len(full))
    n_ho = round(0.2 * len(full))
    return (
        full.iloc[order[n_ho:]].reset_index(drop=True),
        full.iloc[order[:n_ho]].reset_index(drop=True),
    )


def draft_of(train: pd.DataFrame, save: Path):
    from privacy.chunked_scan import scan_source
    from synth.io.chunks import SCAN_CHUNK_BYTES, plan_chunks

    path = save / "train.csv"
    train.to_csv(path, index=False)
    return scan_source(plan_chunks(path, SCAN_CHUNK_BYTES), name="train").schema


#: sets to gate besides the genuine ones (None: all); --cases
ONLY: set[str] | None = None


def gate(case: str, train, holdout, syn, schema, rows: list[dict]) -> dict:
    from privacy.leakage import check_leakage
    from synth.errors import InputError

    if ONLY is not None and not case.startswith("genuine") and case not in ONLY:
        return {"case": case, "skipped": True}

    start = time.perf_counter()
    try:
        res = check_leakage(train, holdout, syn, schema)
    except InputError as exc:
        row = {"case": case, "verdict": "error (exit 2)", "error": str(exc)[:160]}
    else:
        d = res.to_dict()
        m = {x["name"]: x for x in d["metrics"]}

        def risk(name: str) -> list | None:
            x = m.get(name)
            return None if x is None or x["value"] is None else [x["value"], *x["interval"]]

        row = {
            "case": case,
            "verdict": "pass" if res.passed else "block",
            "blocked_by": [k for k, x in m.items() if x["verdict"] == "block"],
            "near_copy": risk("near_copy_share"),
            "exact_match_share": risk("exact_match_share"),
            "inference": risk("inference_risk"),
            "linkability": risk("linkability_risk"),
            "singling_out": risk("singling_out_risk"),
            "power": d["near_copies"]["power"],
            "near_copy_tests": d["near_copies"]["factors"],
        }
    row["seconds"] = round(time.perf_counter() - start, 2)
    rows.append(row)
    print(json.dumps(row), flush=True)
    return row


def numeric_columns(schema) -> list[str]:
    return [c.name for c in schema.modelled if c.type == "numerical"]


def categorical_columns(schema) -> list[str]:
    return [c.name for c in schema.modelled if c.type == "categorical"]


def one_cell(src: pd.DataFrame, pool: pd.DataFrame, cats: list[str], rng) -> pd.DataFrame:
    """Each row with one categorical cell set to a different value seen in the real rows."""
    out = src.copy()
    for i in range(len(out)):
        c = cats[rng.integers(len(cats))]
        j = out.columns.get_loc(c)
        values = pool[c].dropna().unique()
        options = values[values != out.iat[i, j]]
        if len(options):
            out.iat[i, j] = options[rng.integers(len(options))]
    return out


def jitter(src: pd.DataFrame, nums: list[str], rng) -> pd.DataFrame:
    """Every number of each row times 1 ± 1 % (codes and blanks kept)."""
    from synth.io.numbers import to_numbers

    out = src.copy()
    for c in nums:
        x = to_numbers(out[c]).to_numpy(float)
        ok = np.isfinite(x)
        y = np.round(x * (1 + rng.choice([-0.01, 0.01], len(x))), 2)
        col = out[c].to_numpy(dtype=object, copy=True)
        col[ok] = [f"{v:g}" for v in y[ok]]
        out[c] = col
    return out


def binned_marginals(train: pd.DataFrame, nums: list[str], n: int, rng) -> pd.DataFrame:
    """Independent columns; numbers redrawn uniformly inside their decile bin."""
    from synth.io.numbers import to_numbers

    out = {}
    for c in train.columns:
        pick = train[c].to_numpy()[rng.integers(0, len(train), n)]
        if c in nums:
            x = to_numbers(pd.Series(pick)).to_numpy(float)
            real = to_numbers(train[c]).to_numpy(float)
            edges = np.unique(np.nanquantile(real[np.isfinite(real)], np.linspace(0, 1, 11)))
            k = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
            lo, hi = edges[k], edges[k + 1]
            y = np.round(lo + rng.random(n) * (hi - lo))
            pick = np.where(np.isfinite(x), [f"{v:g}" for v in y], pick)
        out[c] = pick
    return pd.DataFrame(out)


def run(
    name: str,
    save: Path,
    fits: int,
    sample_seeds: list[int],
    epsilons: list[float],
    n_synthetic: int | None = None,
    reuse: bool = False,
):
    """Fit, sample, build the leaky sets and gate each; with ``reuse`` the genuine sets
    saved in ``save`` by an earlier run are read back instead of fitted again (the leaky
    sets are rebuilt from the first one with the same seed, so they are the same rows)."""
    from synth.synthesizer import Synthesizer

    save.mkdir(parents=True, exist_ok=True)
    train, holdout = real_split(name)
    draft = draft_of(train, save)
    if draft.dataset.privacy_unit:  # split the persons instead, and draft that training set
        train, holdout = real_split(name, draft.dataset.privacy_unit)
        draft = draft_of(train, save)
    n = n_synthetic or len(holdout)
    nums, cats = numeric_columns(draft), categorical_columns(draft)
    rows: list[dict] = []
    sets: dict[str, pd.DataFrame] = {}

    def keep(key: str, df: pd.DataFrame) -> pd.DataFrame:
        """Saved as soon as made: a run stopped half-way leaves its sets for --reuse."""
        as_text(df).to_parquet(save / f"{key}.parquet", index=False)
        sets[key] = df
        return df

    keep("train", train)
    keep("holdout", holdout)
    base = None
    for eps in epsilons:
        for f in range(fits):
            cases = [f"genuine-e{eps:g}-f{f}-s{s}" for s in sample_seeds]
            if reuse and all((save / f"{c}.parquet").exists() for c in cases):
                got = {c: pd.read_parquet(save / f"{c}.parquet") for c in cases}
                fit_s = None
            else:
                start = time.perf_counter()
                model = Synthesizer(draft, epsilon=eps).fit(train)
                fit_s = round(time.perf_counter() - start, 1)
                got = {c: model.sample(n, seed=s) for c, s in zip(cases, sample_seeds, strict=True)}
            for case, syn in got.items():
                gate(case, train, holdout, syn, draft, rows)["fit_s"] = fit_s
                keep(case, syn)  # every genuine set is saved: a later run may reuse it
                if base is None:
                    base = syn
    assert base is not None
    rng = np.random.default_rng(1)
    modelled = [c.name for c in draft.modelled]
    half = len(holdout) // 2
    gate("unseen-real-rows", train, holdout.iloc[:half], holdout.iloc[half:], draft, rows)
    keep("binned-marginals", binned_marginals(train, nums, n, rng))
    keep(
        "resampled-marginals",
        pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, len(train), n)] for c in train}),
    )
    for case in ("binned-marginals", "resampled-marginals"):
        gate(case, train, holdout, sets[case], draft, rows)
    for kind, shares in (
        ("exact", (0.005, 0.01)),
        ("one-cell", (0.05, 0.1)),
        ("jitter", (0.05, 0.1)),
    ):
        for share in shares:
            k = round(share * n)
            src = train.iloc[rng.choice(len(train), k, replace=False)].reset_index(drop=True)
            if kind == "one-cell":
                src = one_cell(src, train, cats, rng)
            elif kind == "jitter":
                src = jitter(src, nums, rng)
            syn = pd.concat([src, base.iloc[k:]], ignore_index=True)[list(base.columns)]
            case = f"{kind}-{share:.1%}".replace(".0%", "%")
            gate(case, train, holdout, keep(case, syn), draft, rows)
    boot = train.iloc[rng.integers(0, len(train), n)].reset_index(drop=True)
    keep("bootstrap", boot)
    gate("bootstrap", train, holdout, boot, draft, rows)
    renamed = modelled[len(modelled) // 2]
    gate(
        f"bootstrap, '{renamed}' renamed",
        train,
        holdout,
        boot.rename(columns={renamed: renamed.replace("-", "_") + "_x"}),
        draft,
        rows,
    )
    gate("bootstrap, one column dropped", train, holdout, boot.drop(columns=[renamed]), draft, rows)
    return rows


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (missing stays missing): mixed columns can be written."""
    return pd.DataFrame(
        {c: df[c].map(lambda v: None if pd.isna(v) else str(v)).astype(object) for c in df}
    )


def typed(df: pd.DataFrame, nums: list[str]) -> pd.DataFrame:
    """Numbers as numbers for Anonymeter (a code such as '?' becomes missing)."""
    from synth.io.numbers import to_numbers

    out = df.copy()
    for c in out.columns:
        if c in nums:
            out[c] = to_numbers(out[c].astype(object)).astype(float)
        else:
            out[c] = out[c].astype(object).where(out[c].notna(), None).astype(str)
    return out


def anonymeter(name: str, save: Path, cases: list[str], n_attacks: int, timeout: float):
    """Our whole gate, then Anonymeter's three evaluators, on each saved set (inference:
    the attacker knows every other column, our strong attacker); Anonymeter runs in the
    peers' venv."""

    train = pd.read_parquet(save / "train.parquet")
    holdout = pd.read_parquet(save / "holdout.parquet")
    draft = draft_of(train, save)
    nums = numeric_columns(draft)
    cols = [c.name for c in draft.modelled]
    typed_dir = save / "typed"
    typed_dir.mkdir(exist_ok=True)
    for key in ("train", "holdout", *cases):
        df = pd.read_parquet(save / f"{key}.parquet")[cols]
        typed(df, nums).to_parquet(typed_dir / f"{key}.parquet", index=False)
    rows: list[dict] = []
    for case in cases:
        # ours first, on the very set, in the same run
        ours = gate(case, train, holdout, pd.read_parquet(save / f"{case}.parquet"), draft, rows)
        ours["who"] = "ours"
        job = {
            "train": str(typed_dir / "train.parquet"),
            "control": str(typed_dir / "holdout.parquet"),
            "synthetic": str(typed_dir / f"{case}.parquet"),
            "n_attacks": n_attacks,
            "secret": SECRET[name],
            "aux": [c for c in cols if c != SECRET[name]],
            "n_jobs": 2,
        }
        path = save / f"job-{case}.json"
        path.write_text(json.dumps(job))
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [str(PEERS_PYTHON), str(HERE / "peers_leakage" / "anonymeter_run.py"), str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            got = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
            err = None if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1:]
        except subprocess.TimeoutExpired:
            got, err = [], f"timeout after {timeout:.0f} s"
        for r in got:
            r["case"] = case
            rows.append(r)
            print(json.dumps(r), flush=True)
        total = {
            "case": case,
            "peer": "anonymeter, all evaluators",
            "wall_s": round(time.perf_counter() - start, 1),
            "error": err,
        }
        rows.append(total)
        print(json.dumps(total), flush=True)
    return rows


def fmt_risk(x: list | None) -> str:
    return "—" if not x else f"{x[0]:.3f} [{x[1]:.3f}, {x[2]:.3f}]"


def table(rows: list[dict]) -> str:
    head = (
        "| set | verdict | blocked by | near-copy share [interval] | inference | linkability "
        "| singling-out | gate s |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        if "verdict" not in r:
            continue
        lines.append(
            f"| {r['case']} | {r['verdict']} | {', '.join(r.get('blocked_by', [])) or '—'} | "
            f"{fmt_risk(r.get('near_copy'))} | {fmt_risk(r.get('inference'))} | "
            f"{fmt_risk(r.get('linkability'))} | {fmt_risk(r.get('singling_out'))} | "
            f"{r['seconds']} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", choices=("adult", "diabetes130"), default="adult")
    ap.add_argument("--fits", type=int, default=3)
    ap.add_argument("--sample-seeds", default="0,1")
    ap.add_argument("--epsilons", default="1,10")
    ap.add_argument("--save-dir", type=Path, default=None)
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="read the genuine sets saved in --save-dir by an earlier run instead of fitting",
    )
    ap.add_argument("--anonymeter", default="", help="comma-separated saved sets")
    ap.add_argument("--anonymeter-only", action="store_true")
    ap.add_argument("--n-attacks", type=int, default=2000)
    ap.add_argument("--peer-timeout", type=float, default=1800)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--synthetic-rows",
        type=int,
        default=None,
        help="rows of every synthetic set (default: as many as the holdout, the issue's "
        "shape; `synth release` samples about as many as the training rows)",
    )
    ap.add_argument(
        "--cases", default="", help="comma-separated sets to gate besides the genuine ones"
    )
    a = ap.parse_args()
    if a.cases:
        global ONLY
        ONLY = set(a.cases.split(","))
    save = a.save_dir or Path("/tmp") / f"gate-power-{a.data}"
    rows: list[dict] = []
    if not a.anonymeter_only:
        rows += run(
            a.data,
            save,
            a.fits,
            [int(s) for s in a.sample_seeds.split(",")],
            [float(e) for e in a.epsilons.split(",")],
            a.synthetic_rows,
            a.reuse,
        )
        print(table(rows))
    if a.anonymeter:
        rows += anonymeter(a.data, save, a.anonymeter.split(","), a.n_attacks, a.peer_timeout)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"data": a.data, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
